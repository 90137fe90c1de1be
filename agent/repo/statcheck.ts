/**
 * The bulk of a clean `status`: one stat() per committed file, compared with its stat cache
 * entry. Entries are claimed in chunks from a shared counter (ctl), so that more than one
 * thread can share the work. Paths are relative to the current directory, which the caller
 * keeps at the checkout root until checkAll returns.
 */
import { statSync } from "node:fs";
import type { StatCache } from "./statcache";

const CHUNK = 256;
const NO_THROW = { throwIfNoEntry: false } as const;

// ctl (Int32Array over a SharedArrayBuffer): [next entry to claim, entries done, failed]
const NEXT = 0;
const DONE = 1;
const FAILED = 2;

/** Checks chunks of entries until none is left or one is not provably unchanged. */
export function checkChunks(cache: StatCache, ctl: Int32Array): void {
  const paths = cache.keys;
  const n = paths.length;
  while (Atomics.load(ctl, FAILED) === 0) {
    const start = Atomics.add(ctl, NEXT, CHUNK);
    if (start >= n) return;
    const end = Math.min(start + CHUNK, n);
    try {
      for (let i = start; i < end; i++) {
        const st = statSync(paths[i] as string, NO_THROW);
        if (st === undefined || !cache.unchanged(i, st)) {
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
 * Whether `meanwhile` returned true and every entry of `cache` (parsed from `bytes`, read from
 * `file`) is provably unchanged.
 */
export function checkAll(cache: StatCache, _file: string, _bytes: Buffer, meanwhile: () => boolean): boolean {
  const ctl = new Int32Array(new SharedArrayBuffer(12));
  if (!meanwhile()) return false;
  checkChunks(cache, ctl);
  return Atomics.load(ctl, FAILED) === 0;
}
