/**
 * Running object transfers in parallel, and the events they report for progress output. The
 * pool never stops early: every item runs and failures are collected, so a caller can report
 * all the objects that failed by name (the Go tool logged and forgot them, bug 17.2 item 2).
 */
import { PvrError } from "../../errors";

/** One object to move: its id and the first state key naming it (the label users recognise). */
export interface ObjectItem {
  sha: string;
  key: string;
  /** Bytes, when known. */
  size?: number;
}

/** Progress callbacks; all optional. `bytes` are deltas. */
export interface TransferEvents {
  /** The whole batch: how many objects and, when known, bytes will move. */
  plan?(count: number, totalBytes: number | undefined): void;
  start?(item: ObjectItem, size: number | undefined): void;
  bytes?(item: ObjectItem, delta: number): void;
  /** `status`: "OK", "cache", "skip" (remote has it), "dupe" or "link". */
  done?(item: ObjectItem, status: string): void;
  retry?(item: ObjectItem, reason: string): void;
  failed?(item: ObjectItem, reason: string): void;
}

export interface Failure {
  item: ObjectItem;
  error: unknown;
}

/** Runs `fn` over `items` with at most `jobs` at a time; resolves with the failures. */
export async function runPool<T extends ObjectItem>(items: T[], jobs: number, fn: (item: T) => Promise<void>): Promise<Failure[]> {
  const failures: Failure[] = [];
  let next = 0;
  const worker = async () => {
    for (;;) {
      const item = items[next++];
      if (!item) return;
      try {
        await fn(item);
      } catch (error) {
        failures.push({ item, error });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, items.length)) }, worker));
  return failures;
}

/** Parses a `--jobs` value: a whole number from 1 to 64. */
export function parseJobs(v: string | undefined, fallback = 4): number {
  if (v === undefined || v === "") return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw PvrError.usage(`--jobs must be a whole number from 1 to 64, not ${JSON.stringify(v)}`);
  return n;
}
