/**
 * The one durable-write helper: write a temp file beside the target, fsync it, rename it over
 * the target, fsync the directory. A crash leaves either the old file or the new one.
 */
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fromSystemError } from "../errors";

let counter = 0;

/** A temp name in `dir` that no other process or call will pick. */
export function tempPath(dir: string, base: string): string {
  counter++;
  return join(dir, `.${base}.tmp-${process.pid}-${counter}-${Math.random().toString(36).slice(2, 8)}`);
}

/** Writes all of `bytes` to `fd`: at the file position, or from `position` when given. */
export function writeAll(fd: number, bytes: Uint8Array, position?: number): void {
  for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off, position === undefined ? null : position + off);
}

/** Creates `path`, which must not exist yet, holding `bytes`; if writing fails it is removed again. */
export function createFile(path: string, bytes: Uint8Array, mode = 0o644): void {
  const fd = openSync(path, "wx", mode);
  try {
    writeAll(fd, bytes);
  } catch (err) {
    closeSync(fd);
    unlinkSync(path);
    throw err;
  }
  closeSync(fd);
}

export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    // some filesystems refuse fsync on directories; the rename is still atomic there
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * `fsync: false` keeps the atomic rename but skips the flushes: for files that are only a copy of
 * durable data (a checked-out working tree), where a crash may cost the file but never mix it.
 */
export function writeFileDurable(path: string, data: string | Uint8Array, mode = 0o644, opts: { fsync?: boolean } = {}): void {
  const sync = opts.fsync ?? true;
  const dir = dirname(path);
  const tmp = tempPath(dir, basename(path));
  let fd: number | undefined;
  try {
    fd = openSync(tmp, "wx", mode);
    const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    writeAll(fd, bytes);
    if (sync) fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {}
    throw fromSystemError(err, `cannot write ${path}`);
  }
  if (sync) fsyncDir(dir);
}

export function removeIfExists(path: string): boolean {
  try {
    unlinkSync(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw fromSystemError(err, `cannot remove ${path}`);
  }
}
