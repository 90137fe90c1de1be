/**
 * A private staging directory inside an object store, for objects that arrive in a batch that
 * may still be rejected (a tarball import). Each object is written under its sha inside the
 * staging dir while hashed, and joins the staged set only when the bytes match the name. `commit`
 * makes the wanted objects durable in one batch (one syncfs, or an fsync each for a handful;
 * an fsync per object made importing thousands of small objects 10-30x slower than `tar -x`)
 * and only then renames them into the store; `dispose` removes whatever is left, so a
 * rejected batch leaves the store exactly as it was. Staging dirs live in the store's temp dir
 * (`<store>/.pvr-tmp/staging-<pid>-*`); ones left by a killed process are swept on the next create.
 */
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, renameSync, rmdirSync, rmSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { fromSystemError, PvrError } from "../errors";
import { tempPath, writeAll } from "../fsutil/durable";
import { syncFiles } from "../fsutil/sync";
import { type ObjectStore, processAlive } from "../objects/store";

export class ObjectSink {
  private fd: number | undefined;
  private readonly hasher = new Bun.CryptoHasher("sha256");
  /** Where the bytes go: `<staging>/<sha>` itself, or a temp name when that one is taken. */
  readonly path: string;
  private readonly named: boolean;

  constructor(
    private readonly staging: Staging,
    readonly sha: string,
  ) {
    // Written straight under its name: the staging dir is private and only objects in the
    // staged set (verified) are ever committed, so this saves a rename per object.
    const final = join(staging.dir, sha);
    let path = staging.has(sha) ? undefined : final;
    if (path) {
      try {
        this.fd = openSync(path, "wx", 0o644);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw fromSystemError(err, `cannot create ${path}`);
        path = undefined;
      }
    }
    if (!path) {
      path = tempPath(staging.dir, "object");
      try {
        this.fd = openSync(path, "wx", 0o644);
      } catch (err) {
        throw fromSystemError(err, `cannot create ${path}`);
      }
    }
    this.path = path;
    this.named = path === final;
  }

  write(chunk: Buffer, fail: (err: unknown) => void): void {
    try {
      this.hasher.update(chunk);
      writeAll(this.fd as number, chunk);
    } catch (err) {
      this.abort();
      fail(fromSystemError(err, `cannot write object ${this.sha}`));
    }
  }

  finish(fail: (err: unknown) => void): void {
    const got = this.hasher.digest("hex");
    try {
      if (got !== this.sha) throw PvrError.integrity(`tarball member objects/${this.sha} holds bytes that hash to ${got}; the tarball is corrupt or forged`);
      this.close();
      if (!this.named) {
        if (this.staging.has(this.sha)) unlinkSync(this.path);
        else renameSync(this.path, join(this.staging.dir, this.sha));
      }
      this.staging.done(this);
    } catch (err) {
      this.abort();
      fail(fromSystemError(err, `cannot stage object ${this.sha}`));
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  abort(): void {
    this.close();
    try {
      unlinkSync(this.path);
    } catch {}
  }
}

export class Staging {
  private readonly staged = new Set<string>();
  private readonly open = new Set<ObjectSink>();

  private constructor(
    readonly store: ObjectStore,
    readonly dir: string,
    /** Directories this staging created (store, temp dir), removed again if still empty. */
    private readonly created: string[],
  ) {}

  static create(store: ObjectStore): Staging {
    const created = [store.tmpDir, store.dir].filter((d) => !existsSync(d));
    store.ensureDir();
    sweepStale(store.tmpDir);
    try {
      return new Staging(store, mkdtempSync(join(store.tmpDir, `staging-${process.pid}-`)), created);
    } catch (err) {
      throw fromSystemError(err, `cannot create a staging directory in ${store.dir}`);
    }
  }

  begin(sha: string): ObjectSink {
    const sink = new ObjectSink(this, sha);
    this.open.add(sink);
    return sink;
  }

  done(sink: ObjectSink): void {
    this.open.delete(sink);
    this.staged.add(sink.sha);
  }

  has(sha: string): boolean {
    return this.staged.has(sha);
  }

  count(): number {
    return this.staged.size;
  }

  /**
   * Moves the staged objects among `ids` into the store (objects it already has are kept),
   * each durable before it appears under its name there.
   */
  commit(ids: string[]): void {
    const moving = ids.filter((id) => this.staged.has(id) && !this.store.has(id));
    try {
      syncFiles(this.dir, moving.map((id) => join(this.dir, id)));
    } catch (err) {
      throw fromSystemError(err, `cannot flush the staged objects in ${this.dir}`);
    }
    for (const id of moving) {
      try {
        renameSync(join(this.dir, id), this.store.path(id));
      } catch (err) {
        throw fromSystemError(err, `cannot install object ${id}`);
      }
    }
    this.store.syncDir();
  }

  dispose(): void {
    for (const sink of this.open) sink.abort();
    this.open.clear();
    rmSync(this.dir, { recursive: true, force: true });
    for (const d of this.created) {
      try {
        rmdirSync(d);
      } catch {}
    }
  }
}

/** Removes staging dirs whose process is gone. */
function sweepStale(tmpDir: string): void {
  let names: string[] = [];
  try {
    names = readdirSync(tmpDir);
  } catch {}
  for (const n of names) {
    const pid = Number(/^staging-(\d+)-/.exec(n)?.[1]);
    if (pid && pid !== process.pid && !processAlive(pid)) rmSync(join(tmpDir, n), { recursive: true, force: true });
  }
}
