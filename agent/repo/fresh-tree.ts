/**
 * A new working tree private to this process (a clone built aside and renamed into place when
 * complete), filled as objects arrive: each object is also written to its place while it
 * downloads, and kept only once it verified; checkoutState then writes whatever is left. Big
 * objects are written on Bun's I/O threads while the download's own thread receives, hashes and
 * stores them, and a limit on queued bytes holds the download back when the disk is slower;
 * small ones are written whole once they verified, in batches by a worker thread
 * (tree-writer-worker.ts) so that this tree's files are created in parallel with the store's.
 * A blob worker writes a big object's copy itself, to a file opened here (fileFor).
 * Writing early is only a shortcut: a key that cannot be written now is left to checkoutState.
 */
import { closeSync, openSync, rmSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { createFile } from "../fsutil/durable";
import { QueuedFile, WriteBudget } from "../fsutil/queued-file";
import type { ObjectCopy } from "../objects/batch-writer";
import type { CopyFile } from "../remote/http/blob-workers";
import { keyProblem, SPEC_KEY } from "../state/model";
import { WorkerRequests } from "../util/worker";
import { ensureParent } from "./checkout";
import type { TreeBatch } from "./tree-writer-worker";

/** Objects up to this size are written whole, open to close, once they verified. */
const WHOLE = 1 << 20;
/** Queued bytes above which the download waits. */
const HIGH_WATER = 32 << 20;
/** Small files handed to the worker at a time (or fewer, once they hold BATCH_BYTES); a clone with fewer in all writes them here. */
const BATCH_FILES = 64;
const BATCH_BYTES = 4 << 20;

export class FreshTree {
  /** key → sha of the files written and verified. */
  readonly written = new Map<string, string>();
  /** Directories known to be real directories inside the tree. */
  readonly checked = new Set<string>();
  private readonly budget = new WriteBudget(HIGH_WATER);
  private readonly pending = new Set<Promise<void>>();
  /** Small files waiting for the next batch: path, bytes, and what to record once written. */
  private batch: { path: string; bytes: Uint8Array; key: string; sha: string }[] = [];
  private batchBytes = 0;
  /** Started at the first full batch; a clone with fewer small files writes them itself. */
  private worker: WorkerRequests<TreeBatch, { written: string[] }> | undefined;

  constructor(readonly root: string) {}

  /** A copy target for object `sha` (of `size` bytes) at `key`, or undefined to leave it to checkoutState. */
  copyFor(key: string, sha: string, size: number): ObjectCopy | undefined {
    if (key.startsWith(SPEC_KEY) || keyProblem(key) || this.written.has(key)) return undefined;
    const target = join(this.root, key);
    try {
      ensureParent(this.root, key, this.checked);
    } catch {
      return undefined;
    }
    return size <= WHOLE ? this.wholeCopy(key, sha, target) : this.streamedCopy(key, sha, target);
  }

  /**
   * A new, empty file for object `sha` at `key`, for another thread to write (blob workers), or
   * undefined to leave the key to checkoutState. keep() records it; discard() removes it.
   */
  fileFor(key: string, sha: string): CopyFile | undefined {
    if (key.startsWith(SPEC_KEY) || keyProblem(key) || this.written.has(key)) return undefined;
    const target = join(this.root, key);
    let fd: number;
    try {
      ensureParent(this.root, key, this.checked);
      fd = openSync(target, "wx", 0o644);
    } catch {
      return undefined;
    }
    return {
      fd,
      keep: () => {
        closeSync(fd);
        this.written.set(key, sha);
      },
      discard: () => {
        closeSync(fd);
        rmSync(target, { force: true });
      },
    };
  }

  /** A promise while the queued writes are over the limit (the download waits for it). */
  drained(): Promise<void> | undefined {
    return this.budget.drained();
  }

  /** Waits for every queued write (call before checkoutState, and before removing the tree). */
  async settle(): Promise<void> {
    if (this.worker) this.flushBatch();
    else for (const f of this.batch.splice(0)) this.writeHere(f);
    this.batchBytes = 0;
    while (this.pending.size) await Promise.all([...this.pending]);
    this.worker?.close();
    this.worker = undefined;
  }

  private writeHere(f: { path: string; bytes: Uint8Array; key: string; sha: string }): void {
    try {
      createFile(f.path, f.bytes);
      this.written.set(f.key, f.sha);
    } catch {}
  }

  /** Hands the waiting small files to the worker (started at the first full batch). */
  private flushBatch(): void {
    const files = this.batch.splice(0);
    this.batchBytes = 0;
    if (files.length === 0) return;
    this.worker ??= new WorkerRequests("agent/repo/tree-writer-worker.ts", new URL("./tree-writer-worker.ts", import.meta.url));
    const bytes = files.reduce((n, f) => n + f.bytes.length, 0);
    this.budget.add(bytes);
    // buffers that are wholly an object's own move to the worker; views into shared ones are copied
    const own = files.map((f) => f.bytes).filter((b) => b.byteOffset === 0 && b.byteLength === b.buffer.byteLength);
    const answer = this.worker.request({ files: files.map((f) => ({ path: f.path, bytes: f.bytes })) }, own.map((b) => b.buffer as ArrayBuffer));
    const done = answer.then((r) => {
      this.budget.done(bytes);
      // a worker that died answers null: its files are unknown, so checkoutState rewrites them
      const ok = new Set(r?.written ?? []);
      for (const f of files) {
        if (ok.has(f.path)) this.written.set(f.key, f.sha);
        else if (r === null) rmSync(f.path, { force: true });
      }
    });
    this.track(done);
  }

  private track(p: Promise<void>): void {
    const tracked = p.finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }

  private wholeCopy(key: string, sha: string, target: string): ObjectCopy {
    let bytes: Uint8Array | undefined;
    return {
      write: (b) => {
        bytes = bytes ? Buffer.concat([bytes, b]) : b;
      },
      done: () => {
        const data = bytes ?? new Uint8Array(0);
        this.batch.push({ path: target, bytes: data, key, sha });
        this.batchBytes += data.length;
        if (this.batch.length >= BATCH_FILES || this.batchBytes >= BATCH_BYTES) this.flushBatch();
      },
      discard: () => {
        bytes = undefined;
      },
    };
  }

  private streamedCopy(key: string, sha: string, target: string): ObjectCopy | undefined {
    let file: QueuedFile;
    try {
      file = new QueuedFile(openSync(target, "wx", 0o644), this.budget);
    } catch {
      return undefined;
    }
    const finish = (keep: boolean) => {
      const landed = file.finish().then(
        () => keep,
        () => false,
      );
      this.track(
        landed.then((ok) => {
          closeSync(file.fd);
          if (ok) this.written.set(key, sha);
          else {
            try {
              unlinkSync(target);
            } catch {}
          }
        }),
      );
    };
    return {
      write: (b) => file.write(b),
      done: () => finish(true),
      discard: () => finish(false),
    };
  }
}

