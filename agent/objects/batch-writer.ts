/**
 * Receiving an object batch stream (frames.ts) into a store, on the agent (uploads) and in the
 * CLI (downloads). Each object is hashed as it arrives and kept as a temp file in the store's
 * temp dir; one that does not hash to its sha, or whose header the caller refuses, stops the
 * batch. `install()` then makes every verified temp durable at once (one syncfs instead of an
 * fsync each), renames them under their names and flushes the directory: the store only ever
 * holds complete, verified, durable objects, and a broken stream costs only what was unverified.
 */
import { closeSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { PvrError } from "../errors";
import { fsyncDir, tempPath } from "../fsutil/durable";
import { syncFiles } from "../fsutil/sync";
import type { FrameHandler } from "./frames";
import type { ObjectStore } from "./store";

/** Objects up to this size are gathered in memory and written with one call. */
const IN_MEMORY = 1 << 20;

export interface BatchWriterOptions {
  /** Objects the store already has are read past, not written again (counted in `present`). */
  skipPresent?: boolean;
  /** Called with each header before any byte is taken; throws to refuse the object. */
  accept?(sha: string, size: number): void;
  /** Bytes of the current object as they arrive (progress). */
  onBytes?(sha: string, n: number): void;
  /** The object arrived and hashed to its sha; `bytes` when it was held in memory. */
  onVerified?(sha: string, size: number, bytes?: Uint8Array): void;
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
}

export class BatchWriter implements FrameHandler {
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
    const cur: Current = { sha, size, got: 0, hasher: new Bun.CryptoHasher("sha256") };
    if (this.opts.skipPresent && this.store.has(sha)) cur.skip = true;
    else if (size <= IN_MEMORY) cur.mem = new Uint8Array(size);
    else {
      cur.tmp = tempPath(this.store.tmpDir, "batch");
      cur.fd = openSync(cur.tmp, "wx", 0o644);
    }
    this.cur = cur;
  }

  data(bytes: Uint8Array): void {
    const cur = this.cur as Current;
    if (cur.skip) {
      cur.got += bytes.length;
      return;
    }
    cur.hasher.update(bytes);
    if (cur.mem) cur.mem.set(bytes, cur.got);
    else for (let off = 0; off < bytes.length; ) off += writeSync(cur.fd as number, bytes, off, bytes.length - off);
    cur.got += bytes.length;
    this.opts.onBytes?.(cur.sha, bytes.length);
  }

  end(): void {
    const cur = this.cur as Current;
    this.cur = null;
    if (cur.skip) {
      this.present++;
      return;
    }
    this.cur = cur;
    const sha = cur.hasher.digest("hex");
    if (sha !== cur.sha) throw PvrError.integrity(`object ${cur.sha}: its ${cur.size} bytes hash to ${sha}; it was not stored`);
    if (cur.mem) {
      cur.tmp = tempPath(this.store.tmpDir, "batch");
      cur.fd = openSync(cur.tmp, "wx", 0o644);
      for (let off = 0; off < cur.mem.length; ) off += writeSync(cur.fd, cur.mem, off, cur.mem.length - off);
    }
    closeSync(cur.fd as number);
    this.verified.push({ sha, tmp: cur.tmp as string });
    this.cur = null;
    this.opts.onVerified?.(sha, cur.size, cur.mem);
  }

  /** Drops the object in progress (a stream that broke off mid-object). */
  private dropCurrent(): void {
    const cur = this.cur;
    this.cur = null;
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
export function installAll(store: ObjectStore, writers: BatchWriter[]): number {
  const batch = writers.flatMap((w) => w.takeVerified());
  if (batch.length === 0) return 0;
  try {
    syncFiles(store.tmpDir, batch.map((b) => b.tmp));
    for (const { sha, tmp } of batch) renameSync(tmp, store.path(sha));
    fsyncDir(store.dir);
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
