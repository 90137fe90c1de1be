/**
 * The content-addressed object store: a flat directory of files named by the lowercase sha256
 * of their bytes (spec pvr-format 2.3), shared by every checkout. Objects are hashed while they
 * are written and renamed into place only under their verified name; a reader never sees a
 * partial object.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readSync, renameSync, statSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { fromSystemError, PvrError } from "../errors";
import { fsyncDir, tempPath, writeAll } from "../fsutil/durable";
import { isObjectId } from "../state/model";

const CHUNK = 1 << 20;
const TMP_DIR = ".pvr-tmp";
/** Below this many questions, present() asks name by name. */
const LIST_MIN = 256;
/** Directory bytes per entry (a 64-character name takes 72 on ext4): an upper bound of the entries. */
const DIRENT_BYTES = 64;

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
/** One reusable buffer: all store I/O here is synchronous, so it is never shared concurrently. */
const BUF = Buffer.allocUnsafe(CHUNK);

export interface HashResult {
  sha: string;
  size: number;
}

export class ObjectStore {
  constructor(readonly dir: string) {}

  path(sha: string): string {
    if (!isObjectId(sha)) throw PvrError.unsafe(`not an object id: ${JSON.stringify(sha)}`);
    return join(this.dir, sha);
  }

  has(sha: string): boolean {
    return existsSync(this.path(sha));
  }

  /**
   * Which of `shas` the store holds. Many questions to a store not much bigger than them (a
   * first clone) are answered by one listing instead of a failed lookup each (5,000: 8-18 ms
   * against 0.2 ms); a big store is still asked name by name.
   */
  present(shas: readonly string[]): Set<string> {
    if (shas.length >= LIST_MIN) {
      try {
        if (statSync(this.dir).size / DIRENT_BYTES <= 4 * shas.length) {
          const names = new Set(readdirSync(this.dir));
          return new Set(shas.filter((sha) => names.has(sha) && isObjectId(sha)));
        }
      } catch {
        return new Set(); // no store directory yet: nothing is present
      }
    }
    return new Set(shas.filter((sha) => this.has(sha)));
  }

  /** Temp files live in `<store>/.pvr-tmp/` (same filesystem, so renames are atomic). */
  get tmpDir(): string {
    return join(this.dir, TMP_DIR);
  }

  ensureDir(): void {
    try {
      if (!existsSync(this.tmpDir)) mkdirSync(this.tmpDir, { recursive: true, mode: 0o755 });
    } catch (err) {
      throw fromSystemError(err, `cannot create objects directory ${this.dir}`);
    }
  }

  /** Removes temp files left by writers that died (their pid is gone). */
  cleanStaleTemps(): void {
    let names: string[];
    try {
      names = readdirSync(this.tmpDir);
    } catch {
      return;
    }
    for (const n of names) {
      const pid = Number(/\.tmp-(\d+)-/.exec(n)?.[1]);
      if (!pid || pid === process.pid || processAlive(pid)) continue;
      try {
        unlinkSync(join(this.tmpDir, n));
      } catch {}
    }
  }

  /**
   * Copies `src` into the store while hashing it. When `expected` is given and the bytes hash
   * differently (the file changed, or a source object is corrupt), nothing is installed.
   * With `fsync: false` the caller makes the batch durable later (see agent/fsutil/sync.ts).
   */
  installFile(src: string, opts: { expected?: string; fsync?: boolean } = {}): HashResult & { path: string; fresh: boolean } {
    const { expected, fsync = true } = opts;
    this.ensureDir();
    const tmp = tempPath(this.tmpDir, "object");
    let inFd: number | undefined;
    let outFd: number | undefined;
    try {
      inFd = openSync(src, "r");
      outFd = openSync(tmp, "wx", 0o644);
      const { sha, size } = pumpHashing(inFd, outFd);
      if (expected !== undefined && sha !== expected.toLowerCase()) {
        throw PvrError.integrity(`${src} hashes to ${sha}, expected ${expected}; it changed or is corrupt`);
      }
      if (fsync) fsyncSync(outFd);
      closeSync(outFd);
      outFd = undefined;
      const final = join(this.dir, sha);
      const fresh = !existsSync(final);
      if (fresh) renameSync(tmp, final);
      else unlinkSync(tmp);
      return { sha, size, path: final, fresh };
    } catch (err) {
      if (outFd !== undefined) closeSync(outFd);
      try {
        unlinkSync(tmp);
      } catch {}
      throw fromSystemError(err, `cannot store ${src}`);
    } finally {
      if (inFd !== undefined) closeSync(inFd);
    }
  }

  /** Makes the renames of installFile durable; call once after a batch. */
  syncDir(): void {
    fsyncDir(this.dir);
  }
}

/**
 * Reads `inFd` to its end in 1 MiB chunks, hashing every byte and, when `outFd` is given,
 * writing it there: the one copy loop behind every "hashed while copied" in pvr.
 */
export function pumpHashing(inFd: number, outFd?: number): HashResult {
  const hasher = new Bun.CryptoHasher("sha256");
  let size = 0;
  for (;;) {
    const n = readSync(inFd, BUF, 0, CHUNK, null);
    if (n <= 0) break;
    const chunk = BUF.subarray(0, n);
    hasher.update(chunk);
    if (outFd !== undefined) writeAll(outFd, chunk);
    size += n;
  }
  return { sha: hasher.digest("hex"), size };
}

/** sha256 of a file's bytes, streamed in constant memory. */
export function hashFile(path: string): HashResult {
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    return pumpHashing(fd);
  } catch (err) {
    throw fromSystemError(err, `cannot read ${path}`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
