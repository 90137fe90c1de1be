/**
 * The stat cache (`.pvr/statcache`, ignored by the Go tool): path → stat stamp (size, mtime,
 * ctime, inode) → sha, plus whether the file matched the committed state, so status, diff and
 * commit on an unchanged tree do not read file contents, and a clean `status` does not even
 * parse `.pvr/json`.
 *
 * An entry is trusted only when the stamp matches and the file's ctime was older than the moment
 * it was hashed by more than the filesystem's timestamp granularity (50 ms, or 2 s where
 * timestamps are whole seconds): any later write then moves ctime, which no user can set. The
 * "clean" flags hold only for the `.pvr/json` whose stamp they were computed against. A stale,
 * missing or corrupt cache therefore only costs time, never a wrong answer.
 *
 * On disk (little-endian): "PVRSC4\n\0", then f64s [count, hasPristine, pristine size, mtime,
 * ctime, ino, pristine key count, 0], then count × 6 f64s [size, mtime, ctime, ino, hashedAt,
 * clean], count × 64 bytes of sha hex (zeros for inline JSON), then the paths joined by "\n".
 * Loading it is one read and one split, which matters for `status` on big trees.
 */
import { readFileSync, renameSync, type Stats, writeFileSync } from "node:fs";
import { join } from "node:path";

const MAGIC = "PVRSC4\n\0";
const HEADER = 64;
const FIELDS = 6;

/** What must be unchanged for a cached value to stand: size, mtime, ctime, inode. */
export type Stamp = [number, number, number, number];

export function stampOf(st: Stats): Stamp {
  return [st.size, st.mtimeMs, st.ctimeMs, st.ino];
}

function racyWindowMs(ctimeMs: number): number {
  return ctimeMs % 1000 === 0 ? 2000 : 50;
}

export type Verdict = "clean" | "changed" | "untracked";

export class StatCache {
  private index = new Map<string, number>();
  private paths: string[] = [];
  private nums: number[] = [];
  private shas: string[] = [];
  private pristine: { stamp: Stamp; count: number } | null = null;
  private dirty = false;

  constructor(private readonly file: string) {}

  static load(pvrDir: string): StatCache {
    const cache = new StatCache(join(pvrDir, "statcache"));
    try {
      cache.decode(readFileSync(cache.file));
    } catch {
      cache.index.clear();
      cache.paths = [];
      cache.nums = [];
      cache.shas = [];
      cache.pristine = null;
    }
    return cache;
  }

  private decode(buf: Buffer): void {
    if (buf.length < HEADER || buf.toString("latin1", 0, 8) !== MAGIC) return;
    const head = new Float64Array(buf.buffer.slice(buf.byteOffset + 8, buf.byteOffset + HEADER));
    const count = head[0] as number;
    const numsEnd = HEADER + count * FIELDS * 8;
    const shasEnd = numsEnd + count * 64;
    if (!Number.isInteger(count) || shasEnd > buf.length) return;
    const paths = buf.toString("utf8", shasEnd).split("\n");
    if (paths.length !== count && !(count === 0 && paths.length === 1)) return;
    this.nums = Array.from(new Float64Array(buf.buffer.slice(buf.byteOffset + HEADER, buf.byteOffset + numsEnd)));
    const shaText = buf.toString("latin1", numsEnd, shasEnd);
    this.paths = count ? paths : [];
    for (let i = 0; i < count; i++) {
      this.index.set(this.paths[i] as string, i);
      const sha = shaText.slice(i * 64, i * 64 + 64);
      this.shas.push(sha.charCodeAt(0) === 0 ? "" : sha);
    }
    if (head[1] === 1) this.pristine = { stamp: [head[2], head[3], head[4], head[5]] as Stamp, count: head[6] as number };
  }

  private trusted(i: number, st: Stats): boolean {
    const n = this.nums;
    const o = i * FIELDS;
    return (
      n[o] === st.size &&
      n[o + 1] === st.mtimeMs &&
      n[o + 2] === st.ctimeMs &&
      n[o + 3] === st.ino &&
      st.ctimeMs + racyWindowMs(st.ctimeMs) < (n[o + 4] as number)
    );
  }

  /** The cached sha for `path` if the file provably has not changed since it was hashed. */
  lookup(path: string, st: Stats): string | undefined {
    const i = this.index.get(path);
    if (i === undefined || !this.trusted(i, st)) return undefined;
    return this.shas[i] || undefined;
  }

  /** Records what a file held ("" sha for inline JSON); `hashedAt` (ms) must precede reading it. */
  record(path: string, st: Stats, sha: string, hashedAt: number): void {
    if (path.includes("\n")) return;
    let i = this.index.get(path);
    if (i === undefined) {
      i = this.paths.length;
      this.index.set(path, i);
      this.paths.push(path);
    }
    this.shas[i] = sha;
    const o = i * FIELDS;
    this.nums[o] = st.size;
    this.nums[o + 1] = st.mtimeMs;
    this.nums[o + 2] = st.ctimeMs;
    this.nums[o + 3] = st.ino;
    this.nums[o + 4] = hashedAt;
    this.nums[o + 5] = 0;
    this.dirty = true;
  }

  /**
   * After a full scan: which seen files equal the committed state whose `.pvr/json` had
   * `stamp` and `count` keys. Entries of files not seen are dropped.
   */
  settle(seen: Map<string, boolean>, stamp: Stamp | null, count: number): void {
    const keep = this.paths.filter((p) => seen.has(p));
    if (keep.length !== this.paths.length) {
      const old = { paths: this.paths, nums: this.nums, shas: this.shas, index: this.index };
      this.paths = [];
      this.nums = [];
      this.shas = [];
      this.index = new Map();
      for (const p of keep) {
        const i = old.index.get(p) as number;
        this.index.set(p, this.paths.length);
        this.paths.push(p);
        this.shas.push(old.shas[i] as string);
        this.nums.push(...old.nums.slice(i * FIELDS, i * FIELDS + FIELDS));
      }
      this.dirty = true;
    }
    for (let i = 0; i < this.paths.length; i++) {
      const clean = seen.get(this.paths[i] as string) ? 1 : 0;
      if (this.nums[i * FIELDS + 5] !== clean) {
        this.nums[i * FIELDS + 5] = clean;
        this.dirty = true;
      }
    }
    const p = this.pristine;
    if (!p || !stamp || p.count !== count || p.stamp.some((x, i) => x !== stamp[i])) {
      this.pristine = stamp ? { stamp, count } : null;
      this.dirty = true;
    }
  }

  /** For a walked file: "clean", "changed" (or not provably clean), or "untracked" (no entry). */
  verdict(path: string, abs: string, stat: (p: string) => Stats): Verdict {
    const i = this.index.get(path);
    if (i === undefined) return "untracked";
    try {
      return this.trusted(i, stat(abs)) && this.nums[i * FIELDS + 5] === 1 ? "clean" : "changed";
    } catch {
      return "changed";
    }
  }

  /** The number of committed keys, if the clean flags were computed against this `.pvr/json`. */
  cleanCountFor(st: Stats): number | null {
    const p = this.pristine;
    if (!p) return null;
    const [size, mtime, ctime, ino] = p.stamp;
    return size === st.size && mtime === st.mtimeMs && ctime === st.ctimeMs && ino === st.ino ? p.count : null;
  }

  /** Saves atomically (temp + rename). Not fsynced: losing the cache only costs time. */
  save(): void {
    if (!this.dirty) return;
    const count = this.paths.length;
    const head = new Float64Array(7);
    head[0] = count;
    if (this.pristine) {
      head[1] = 1;
      head.set(this.pristine.stamp, 2);
      head[6] = this.pristine.count;
    }
    const shas = Buffer.alloc(count * 64);
    this.shas.forEach((s, i) => {
      if (s) shas.write(s, i * 64, "latin1");
    });
    const out = Buffer.concat([
      Buffer.from(MAGIC, "latin1"),
      Buffer.from(head.buffer),
      Buffer.alloc(HEADER - 8 - head.byteLength),
      Buffer.from(new Float64Array(this.nums).buffer),
      shas,
      Buffer.from(this.paths.join("\n"), "utf8"),
    ]);
    const tmp = `${this.file}.tmp-${process.pid}`;
    try {
      writeFileSync(tmp, out);
      renameSync(tmp, this.file);
      this.dirty = false;
    } catch {
      // a read-only checkout or a full disk: the cache is optional
    }
  }
}
