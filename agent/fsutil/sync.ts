/**
 * Making many freshly written files durable at once. One syncfs(2) on the filesystem is far
 * cheaper than an fsync per file when a commit stores thousands of small objects; when syncfs
 * is not reachable (no libc through bun:ffi) we fall back to fsync on each file.
 */
import { closeSync, fsyncSync, openSync } from "node:fs";
import { fsyncDir } from "./durable";

type SyncFs = (fd: number) => number;
let syncfsFn: SyncFs | null | undefined;

function loadSyncfs(): SyncFs | null {
  if (syncfsFn !== undefined) return syncfsFn;
  syncfsFn = null;
  try {
    const { dlopen, FFIType } = require("bun:ffi") as typeof import("bun:ffi");
    for (const name of ["libc.so.6", "libc.so", `libc.musl-${process.arch === "arm64" ? "aarch64" : "x86_64"}.so.1`]) {
      try {
        const lib = dlopen(name, { syncfs: { args: [FFIType.i32], returns: FFIType.i32 } });
        syncfsFn = (fd) => lib.symbols.syncfs(fd) as number;
        break;
      } catch {}
    }
  } catch {}
  return syncfsFn;
}

/** Flushes `files` (all on the filesystem of `dir`) and the directory entries in `dir`. */
export function syncFiles(dir: string, files: string[]): void {
  if (files.length === 0) return;
  const syncfs = files.length > 8 ? loadSyncfs() : null;
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
  fsyncDir(dir);
}
