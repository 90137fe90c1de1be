/**
 * syncfs(2) on a worker thread, so a long download can make its first objects durable (and
 * move them into place) while later ones still arrive, instead of waiting for one big flush at
 * the end. A request is met by a flush that starts after it was made; requests made while one
 * is waiting share it. The renames a request carries run on the worker after its flush, and
 * only if the flush ran: a result with `flushed: false` (no FFI, no worker) leaves them to the
 * caller, who then flushes and renames itself.
 */
import { startWorker } from "../util/worker";
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
  private worker: Worker | undefined;
  private nextId = 0;
  private readonly replies = new Map<number, (r: SyncResult) => void>();
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
    waiting.result = this.running.then(() => {
      this.waiting = null;
      return this.run(waiting.renames);
    });
    this.waiting = waiting;
    this.running = waiting.result;
    return waiting.result;
  }

  private run(renames: [string, string][]): Promise<SyncResult> {
    try {
      if (!this.worker) {
        const worker = startWorker("agent/fsutil/background-sync-worker.ts", new URL("./background-sync-worker.ts", import.meta.url));
        worker.onmessage = (e: MessageEvent<{ id: number; ok: boolean; failed: string[] }>) => this.replies.get(e.data.id)?.({ flushed: e.data.ok, failed: e.data.failed });
        worker.onerror = () => {
          for (const reply of [...this.replies.values()]) reply({ flushed: false, failed: [] });
        };
        this.worker = worker;
      }
      const id = this.nextId++;
      return new Promise((resolve) => {
        this.replies.set(id, (r) => {
          this.replies.delete(id);
          resolve(r);
        });
        this.worker?.postMessage({ id, dir: this.dir, renames });
      });
    } catch {
      return Promise.resolve({ flushed: false, failed: [] });
    }
  }

  close(): void {
    this.worker?.terminate();
    this.worker = undefined;
  }
}
