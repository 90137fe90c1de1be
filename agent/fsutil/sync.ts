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
