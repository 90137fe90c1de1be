/**
 * syncfs(2) on a worker thread, so a long download can make its first objects durable (and
 * move them into place) while later ones still arrive, instead of waiting for one big flush at
 * the end. A request is met by a flush that starts after it was made; requests made while one
 * is waiting share it. The renames a request carries run on the worker after its flush, and
 * only if the flush ran: a result with `flushed: false` (no FFI, no worker) leaves them to the
 * caller, who then flushes and renames itself.
 */
import { WorkerRequests } from "../util/worker";

export interface SyncResult {
  flushed: boolean;
  /** Renames that failed, as "temp: reason". */
  failed: string[];
}

interface Waiting {
  renames: [string, string][];
  result: Promise<SyncResult>;
}

export class BackgroundSync {
  private readonly worker = new WorkerRequests<{ dir: string; renames: [string, string][] }, { ok: boolean; failed: string[] }>(
    "agent/fsutil/background-sync-worker.ts",
    new URL("./background-sync-worker.ts", import.meta.url),
  );
  private running: Promise<unknown> = Promise.resolve();
  private waiting: Waiting | null = null;

  constructor(private readonly dir: string) {}

  /** Flushes the filesystem, then renames `renames` ([temp, final]) into place. */
  sync(renames: [string, string][]): Promise<SyncResult> {
    if (this.waiting) {
      this.waiting.renames.push(...renames);
      return this.waiting.result;
    }
    const waiting: Waiting = { renames: [...renames], result: Promise.resolve({ flushed: false, failed: [] }) };
    waiting.result = this.running.then(async () => {
      this.waiting = null;
      const r = await this.worker.request({ dir: this.dir, renames: waiting.renames });
      return { flushed: r?.ok ?? false, failed: r?.failed ?? [] };
    });
    this.waiting = waiting;
    this.running = waiting.result;
    return waiting.result;
  }

  close(): void {
    this.worker.close();
  }
}
