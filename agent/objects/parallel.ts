/**
 * Storing many big files at once: sha256 is the bottleneck of `add` and `commit`, so files are
 * spread over worker threads (one per core, at most four), each hashing while it copies. Small
 * batches stay on the calling thread, where a worker's start-up would cost more than it saves.
 */
import { startWorker } from "../util/worker";
import { availableParallelism } from "node:os";
import { type ErrorCode, PvrError } from "../errors";
import type { ObjectStore } from "./store";

export interface Installed {
  sha: string;
  size: number;
  path: string;
  fresh: boolean;
}

/** Bytes below which threads are not worth starting. */
const PARALLEL_MIN_BYTES = 64 << 20;

type Reply = { id: number; ok?: Installed; err?: { code: ErrorCode; message: string } };

export async function installAll(store: ObjectStore, files: { src: string; size: number }[]): Promise<Installed[]> {
  const total = files.reduce((n, f) => n + f.size, 0);
  const threads = Math.min(availableParallelism(), 4, files.length);
  if (threads < 2 || total < PARALLEL_MIN_BYTES) return files.map((f) => store.installFile(f.src, { fsync: false }));

  store.ensureDir();
  // biggest first, so the threads finish together
  const order = files.map((f, i) => ({ ...f, i })).sort((a, b) => b.size - a.size);
  const results: Installed[] = new Array(files.length);
  const workers = Array.from({ length: threads }, () => startWorker("agent/objects/install-worker.ts", new URL("./install-worker.ts", import.meta.url)));
  let next = 0;
  let failure: PvrError | undefined;
  try {
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            const feed = () => {
              const job = failure ? undefined : order[next++];
              if (!job) return resolve();
              w.postMessage({ id: job.i, dir: store.dir, src: job.src });
            };
            w.onmessage = (e: MessageEvent<Reply>) => {
              if (e.data.ok) results[e.data.id] = e.data.ok;
              else if (e.data.err) failure ??= new PvrError(e.data.err.code, e.data.err.message);
              feed();
            };
            w.onerror = (e) => {
              failure ??= PvrError.failed(`hashing thread failed: ${e.message}`);
              resolve();
            };
            feed();
          }),
      ),
    );
  } finally {
    for (const w of workers) w.terminate();
  }
  if (failure) throw failure;
  return results;
}
