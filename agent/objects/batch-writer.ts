/**
 * Receiving an object batch stream (frames.ts) into a store, on the agent (uploads) and in the
 * CLI (downloads). Each object is hashed as it arrives and kept as a temp file in the store's
 * temp dir; one that does not hash to its sha, or whose header the caller refuses, stops the
 * batch. `install()` then makes every verified temp durable at once (one syncfs instead of an
 * fsync each), renames them under their names and flushes the directory: the store only ever
 * holds complete, verified, durable objects, and a broken stream costs only what was unverified.
 * A caller may also ask for a copy of an object as it arrives (clone writes the working tree
 * this way); a copy is kept only if the object verifies.
 */
import { closeSync, openSync, renameSync, unlinkSync } from "node:fs";
import { PvrError } from "../errors";
import { createFile, fsyncDir, tempPath, writeAll } from "../fsutil/durable";
import { syncFiles, writebackStep } from "../fsutil/sync";
import type { FrameHandler } from "./frames";
import type { ObjectStore } from "./store";

/** Objects up to this size are gathered in memory and written with one call. */
const IN_MEMORY = 1 << 20;

/** A second place an object's bytes go while they arrive. */
export interface ObjectCopy {
  write(bytes: Uint8Array): void;
  /** The object verified: keep the copy. */
  done(): void;
  /** The object did not verify or did not arrive whole: remove the copy. */
  discard(): void;
}

export interface BatchWriterOptions {
  /** Objects the store already has are read past, not written again (counted in `present`). */
  skipPresent?: boolean;
  /** Called with each header before any byte is taken; throws to refuse the object. */
  accept?(sha: string, size: number): void;
  /** A copy to write the object to as well, if any (called after accept). */
  copyTo?(sha: string, size: number): ObjectCopy | undefined;
  /** Bytes of the current object as they arrive (progress). */
  onBytes?(sha: string, n: number): void;
  /** The object arrived and hashed to its sha. */
  onVerified?(sha: string, size: number): void;
}

interface Current {
  sha: string;
  size: number;
  got: number;
  hasher: Bun.CryptoHasher;
  /** Already in the store: the bytes are read past. */
  skip?: boolean;
  /** Small objects: the bytes; large ones: an open temp file. */
  mem?: Uint8Array;
  fd?: number;
  tmp?: string;
  /** Bytes handed to writeback so far. */
  flushed: number;
  copy?: ObjectCopy;
}

/** Whatever hands over verified temps of a store (a BatchWriter, a blob worker's answer). */
export interface VerifiedTemps {
  takeVerified(): { sha: string; tmp: string }[];
}

export class BatchWriter implements FrameHandler, VerifiedTemps {
  private cur: Current | null = null;
  private readonly verified: { sha: string; tmp: string }[] = [];
  /** Objects read past because the store had them (skipPresent). */
  present = 0;

  constructor(
    private readonly store: ObjectStore,
    private readonly opts: BatchWriterOptions = {},
  ) {
    store.ensureDir();
  }

  begin(sha: string, size: number): void {
    this.opts.accept?.(sha, size);
    const cur: Current = { sha, size, got: 0, hasher: new Bun.CryptoHasher("sha256"), flushed: 0 };
    this.cur = cur;
    if (this.opts.skipPresent && this.store.has(sha)) cur.skip = true;
    else if (size <= IN_MEMORY) cur.mem = new Uint8Array(size);
    else {
      cur.tmp = tempPath(this.store.tmpDir, "batch");
      cur.fd = openSync(cur.tmp, "wx", 0o644);
    }
    if (!cur.skip) cur.copy = this.opts.copyTo?.(sha, size);
  }

  data(bytes: Uint8Array): void {
    const cur = this.cur as Current;
    if (cur.skip) {
      cur.got += bytes.length;
      return;
    }
    cur.hasher.update(bytes);
    if (cur.mem) cur.mem.set(bytes, cur.got);
    else {
      writeAll(cur.fd as number, bytes);
      this.copyWrite(cur, bytes);
      cur.flushed = writebackStep(cur.fd as number, cur.flushed, cur.got + bytes.length);
    }
    cur.got += bytes.length;
    this.opts.onBytes?.(cur.sha, bytes.length);
  }

  end(): void {
    const cur = this.cur as Current;
    if (cur.skip) {
      this.cur = null;
      this.present++;
      return;
    }
    const sha = cur.hasher.digest("hex");
    if (sha !== cur.sha) throw PvrError.integrity(`object ${cur.sha}: its ${cur.size} bytes hash to ${sha}; it was not stored`);
    if (cur.mem) {
      cur.tmp = tempPath(this.store.tmpDir, "batch");
      createFile(cur.tmp, cur.mem);
      this.copyWrite(cur, cur.mem);
    } else closeSync(cur.fd as number);
    this.verified.push({ sha, tmp: cur.tmp as string });
    this.cur = null;
    cur.copy?.done();
    this.opts.onVerified?.(sha, cur.size);
  }

  /** A copy that fails to write is dropped; the store copy carries on. */
  private copyWrite(cur: Current, bytes: Uint8Array): void {
    try {
      cur.copy?.write(bytes);
    } catch {
      cur.copy?.discard();
      cur.copy = undefined;
    }
  }

  /** Drops the object in progress (a stream that broke off mid-object). */
  private dropCurrent(): void {
    const cur = this.cur;
    this.cur = null;
    cur?.copy?.discard();
    if (cur?.fd !== undefined) {
      try {
        closeSync(cur.fd);
      } catch {}
    }
    if (cur?.tmp) {
      try {
        unlinkSync(cur.tmp);
      } catch {}
    }
  }

  /**
   * Makes the verified objects durable and moves them into the store (a partial object in
   * progress is dropped). Returns how many were installed.
   */
  install(): number {
    return installAll(this.store, [this]);
  }

  /** Hands over the verified temps (dropping a partial object in progress). */
  takeVerified(): { sha: string; tmp: string }[] {
    this.dropCurrent();
    return this.verified.splice(0);
  }
}

/**
 * Installs what several writers on one store verified with a single flush: one syncfs for all
 * their temps, the renames, one fsync of the directory. An object another writer installed
 * meanwhile is replaced by the same verified bytes, atomically. Returns how many were installed.
 */
export function installAll(store: ObjectStore, writers: VerifiedTemps[]): number {
  return installTemps(store, writers.flatMap((w) => w.takeVerified()));
}

/**
 * Verified temps in the store's temp dir into the store: one flush for all of them (syncfs, or
 * an fsync each for a few; skipped when the caller already flushed them), the renames, one fsync
 * of the directory (skipped with `syncDir: false`: the caller does it once for several calls).
 * On failure the temps are removed. Returns how many were installed.
 */
export function installTemps(store: ObjectStore, batch: { sha: string; tmp: string }[], opts: { flushed?: boolean; syncDir?: boolean } = {}): number {
  if (batch.length === 0) return 0;
  try {
    if (!opts.flushed) syncFiles(store.tmpDir, batch.map((b) => b.tmp));
    for (const { sha, tmp } of batch) renameSync(tmp, store.path(sha));
    if (opts.syncDir !== false) fsyncDir(store.dir);
    return batch.length;
  } catch (err) {
    for (const { tmp } of batch) {
      try {
        unlinkSync(tmp);
      } catch {}
    }
    throw err;
  }
}
