/**
 * The bulk of a clean `status`: one stat() per committed file, compared with its stat cache
 * entry. On a big tree that is most of the command's time and nearly all of it is the kernel's,
 * so with two or more cores a worker thread shares it: both threads claim chunks of entries
 * from a shared counter, and a worker that starts late (its start-up takes a few ms) simply
 * does fewer. Each thread stats through statx(2) when bun:ffi reaches libc (fsutil/statx-stamps.ts),
 * else statSync. Paths are relative to the current directory, which the caller keeps at the
 * checkout root until checkAll returns.
 */
import { startWorker } from "../util/worker";
import { statSync } from "node:fs";
import { availableParallelism } from "node:os";
import type { StatCache } from "./statcache";

const CHUNK = 256;
/** Entries below which a thread costs more than it saves. */
const PARALLEL_MIN = 2000;
/** A worker that stops making progress for this long makes the check fail (a full scan follows). */
const STALL_MS = 5000;

// ctl (Int32Array over a SharedArrayBuffer): [next entry to claim, entries done, failed]
const NO_THROW = { throwIfNoEntry: false } as const;
const NEXT = 0;
const DONE = 1;
const FAILED = 2;

/** Checks chunks of entries until none is left or one is not provably unchanged. */
export function checkChunks(cache: StatCache, ctl: Int32Array): void {
  const n = cache.size;
  const fast = cache.statxPaths();
  const paths = fast ? [] : cache.keys;
  const stamp = new Float64Array(4);
  while (Atomics.load(ctl, FAILED) === 0) {
    const start = Atomics.add(ctl, NEXT, CHUNK);
    if (start >= n) return;
    const end = Math.min(start + CHUNK, n);
    try {
      for (let i = start; i < end; i++) {
        let same: boolean;
        if (fast) same = fast.stamp(i, stamp) && cache.unchangedStamp(i, stamp);
        else {
          const st = statSync(paths[i] as string, NO_THROW);
          same = st !== undefined && cache.unchanged(i, st);
        }
        if (!same) {
          Atomics.store(ctl, FAILED, 1);
          break;
        }
      }
    } catch {
      Atomics.store(ctl, FAILED, 1);
    }
    Atomics.add(ctl, DONE, end - start);
    Atomics.notify(ctl, DONE);
  }
}

/**
 * Whether every entry of `cache` (parsed from `bytes`, read from `file`) is provably unchanged
 * and `meanwhile` (run while a worker starts) returned true.
 */
export function checkAll(cache: StatCache, file: string, bytes: Buffer, meanwhile: () => boolean): boolean {
  const n = cache.size;
  const ctl = new Int32Array(new SharedArrayBuffer(12));
  let worker: Worker | undefined;
  if (n >= PARALLEL_MIN && availableParallelism() > 1) {
    worker = startWorker("agent/repo/statcheck-worker.ts", new URL("./statcheck-worker.ts", import.meta.url));
    worker.postMessage({ file, bytes, ctl });
  }
  try {
    if (!meanwhile()) return false;
    checkChunks(cache, ctl);
    for (let done = Atomics.load(ctl, DONE); done < n && Atomics.load(ctl, FAILED) === 0; done = Atomics.load(ctl, DONE)) {
      if (Atomics.wait(ctl, DONE, done, STALL_MS) === "timed-out") return false;
    }
    return Atomics.load(ctl, FAILED) === 0;
  } finally {
    // unref first: the process need not wait at exit for the worker's teardown (~3 ms)
    worker?.unref();
    worker?.terminate();
  }
}
