/**
 * Making many freshly written files durable at once. One syncfs(2) on the filesystem is far
 * cheaper than an fsync per file when a commit stores thousands of small objects; when syncfs
 * is not reachable (no libc through bun:ffi) we fall back to fsync on each file.
 */
import { closeSync, fsyncSync, openSync } from "node:fs";
import { fsyncDir } from "./durable";
import { bindLibc } from "./libc";

type SyncFs = (fd: number) => number;
let syncfsFn: SyncFs | null | undefined;
type SyncFileRange = (fd: number, offset: number, nbytes: number, flags: number) => number;
let syncFileRangeFn: SyncFileRange | null | undefined;
const SYNC_FILE_RANGE_WRITE = 2;

/** Bytes of a file written between two writeback starts. */
const WRITEBACK_STEP = 16 << 20;

/**
 * For a file being written front to back: once `written` is a step past `flushed`, starts
 * writing that range back to disk without waiting for it (sync_file_range(2) with
 * SYNC_FILE_RANGE_WRITE), so the fsync or syncfs that later makes the file durable finds most of
 * it already written, and a big download does not pile up dirty pages. Returns the new mark;
 * without FFI nothing is started.
 */
export function writebackStep(fd: number, flushed: number, written: number): number {
  if (written - flushed < WRITEBACK_STEP) return flushed;
  if (syncFileRangeFn === undefined) syncFileRangeFn = bindLibc<SyncFileRange>("sync_file_range", { args: ["i32", "i64", "i64", "u32"], returns: "i32" }) ?? null;
  syncFileRangeFn?.(fd, flushed, written - flushed, SYNC_FILE_RANGE_WRITE);
  return written;
}

function loadSyncfs(): SyncFs | null {
  if (syncfsFn === undefined) syncfsFn = bindLibc<SyncFs>("syncfs", { args: ["i32"], returns: "i32" }) ?? null;
  return syncfsFn;
}

/**
 * Flushes `files` and the directories `dirs` (all on the filesystem of `dir`) and the entries in
 * `dir`. Without syncfs each file gets an fsync and each directory a best-effort one (some
 * filesystems refuse fsync on directories).
 */
export function syncFiles(dir: string, files: string[], dirs: string[] = []): void {
  if (files.length + dirs.length === 0) return;
  const syncfs = files.length + dirs.length > 8 ? loadSyncfs() : null;
  if (syncfs) {
    const fd = openSync(dir, "r");
    try {
      if (syncfs(fd) === 0) return;
    } finally {
      closeSync(fd);
    }
  }
  for (const f of files) {
    const fd = openSync(f, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
  for (const d of dirs) fsyncDir(d);
  fsyncDir(dir);
}
