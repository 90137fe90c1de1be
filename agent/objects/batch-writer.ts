/**
 * Receiving an object batch stream (frames.ts) into a store, on the agent (uploads) and in the
 * CLI (downloads). Each object is hashed as it arrives and kept as a temp file in the store's
 * temp dir; one that does not hash to its sha, or whose header the caller refuses, stops the
 * batch. Small objects are gathered in memory and written when they verified; big ones are
 * written on Bun's I/O threads while this thread hashes (a byte budget holds the stream back
 * when the disk is slower: wait on `drained()`) and fsynced there once complete.
 * `installAll()` then makes the small ones durable at once (one syncfs instead of an fsync
 * each), renames every verified temp under its name and flushes the directory: the store only
 * ever holds complete, verified, durable objects, and a broken stream costs only the unverified
 * rest. A caller may also ask for a copy of each object as it arrives (clone writes the working
 * tree this way); a copy is kept only if the object verifies.
 */
import { closeSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { PvrError } from "../errors";
import { fsyncDir, tempPath } from "../fsutil/durable";
import { QueuedFile, WriteBudget } from "../fsutil/queued-file";
import { syncFiles } from "../fsutil/sync";
import type { FrameHandler } from "./frames";
import type { ObjectStore } from "./store";

/** Objects up to this size are gathered in memory and written with one call. */
const IN_MEMORY = 1 << 20;
/** Bytes of big objects a writer may have queued for the disk before its stream waits. */
const QUEUE_LIMIT = 8 << 20;

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
  /** Small objects: the bytes. */
  mem?: Uint8Array;
  /** Big objects: the temp file being written on I/O threads. */
  file?: QueuedFile;
  tmp?: string;
  copy?: ObjectCopy;
}

/** A verified temp; `ready` settles when its bytes are written (and, for big ones, fsynced). */
interface Verified {
  sha: string;
  tmp: string;
  ready: Promise<void>;
  /** fsynced on its own (big objects); the others are flushed together at install. */
  synced: boolean;
}

export class BatchWriter implements FrameHandler {
  private cur: Current | null = null;
  private readonly verified: Verified[] = [];
  /** Temps of dropped objects still being written; removed once their writes landed. */
  private readonly dropping: Promise<void>[] = [];
  private readonly budget = new WriteBudget(QUEUE_LIMIT);
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
    this.cur = cur;
    if (this.opts.skipPresent && this.store.has(sha)) cur.skip = true;
    else if (size <= IN_MEMORY) cur.mem = new Uint8Array(size);
    else {
      cur.tmp = tempPath(this.store.tmpDir, "batch");
      cur.file = new QueuedFile(openSync(cur.tmp, "wx", 0o644), this.budget);
    }
    if (!cur.skip) cur.copy = this.opts.copyTo?.(sha, size);
  }

  data(bytes: Uint8Array): void {
    const cur = this.cur as Current;
    cur.got += bytes.length;
    if (cur.skip) return;
    cur.hasher.update(bytes);
    if (cur.mem) cur.mem.set(bytes, cur.got - bytes.length);
    else {
      cur.file?.write(bytes);
      this.copyWrite(cur, bytes);
    }
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
    let ready: Promise<void>;
    if (cur.file) {
      const file = cur.file;
      ready = file.finish(true).finally(() => closeSync(file.fd));
    } else {
      const mem = cur.mem as Uint8Array;
      cur.tmp = tempPath(this.store.tmpDir, "batch");
      const fd = openSync(cur.tmp, "wx", 0o644);
      try {
        for (let off = 0; off < mem.length; ) off += writeSync(fd, mem, off, mem.length - off);
      } finally {
        closeSync(fd);
      }
      this.copyWrite(cur, mem);
      ready = Promise.resolve();
    }
    ready.catch(() => {}); // observed at install
    this.verified.push({ sha, tmp: cur.tmp as string, ready, synced: cur.file !== undefined });
    this.cur = null;
    cur.copy?.done();
    this.opts.onVerified?.(sha, cur.size);
  }

  /** A promise while this writer's queued bytes are over its limit: wait before pushing more. */
  drained(): Promise<void> | undefined {
    return this.budget.drained();
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

  /** Drops the object in progress (a stream that broke off mid-object, or a bad one). */
  private dropCurrent(): void {
    const cur = this.cur;
    this.cur = null;
    if (!cur) return;
    cur.copy?.discard();
    const tmp = cur.tmp;
    const remove = () => {
      if (tmp) {
        try {
          unlinkSync(tmp);
        } catch {}
      }
    };
    const file = cur.file;
    if (!file) return remove();
    this.dropping.push(
      file
        .finish()
        .catch(() => {})
        .finally(() => {
          closeSync(file.fd);
          remove();
        }),
    );
  }

  /** Makes the verified objects durable and moves them into the store; see installAll. */
  install(): Promise<number> {
    return installAll(this.store, [this]);
  }

  /** Hands over the verified temps, once a dropped object's writes have landed. */
  async takeVerified(): Promise<Verified[]> {
    this.dropCurrent();
    await Promise.all(this.dropping.splice(0));
    return this.verified.splice(0);
  }
}

/**
 * Installs what several writers on one store verified: waits for their writes (big objects are
 * fsynced on their own), flushes the small ones with a single syncfs, renames every temp under
 * its name and fsyncs the directory. An object another writer installed meanwhile is replaced
 * by the same verified bytes, atomically. Returns how many were installed; a write that failed
 * (a full disk) is thrown after the others were installed.
 */
export async function installAll(store: ObjectStore, writers: BatchWriter[]): Promise<number> {
  const batch = (await Promise.all(writers.map((w) => w.takeVerified()))).flat();
  const settled = await Promise.allSettled(batch.map((b) => b.ready));
  const good = batch.filter((_, i) => settled[i]?.status === "fulfilled");
  const failure = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
  try {
    if (good.length > 0) {
      syncFiles(store.tmpDir, good.filter((b) => !b.synced).map((b) => b.tmp));
      for (const { sha, tmp } of good) renameSync(tmp, store.path(sha));
      fsyncDir(store.dir);
    }
  } catch (err) {
    for (const { tmp } of good) {
      try {
        unlinkSync(tmp);
      } catch {}
    }
    throw err;
  } finally {
    for (const b of batch.filter((_, i) => settled[i]?.status === "rejected")) {
      try {
        unlinkSync(b.tmp);
      } catch {}
    }
  }
  if (failure) throw failure.reason;
  return good.length;
}
