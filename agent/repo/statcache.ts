/**
 * The stat cache (`.pvr/statcache`, ignored by the Go tool): path → stat stamp (size, mtime,
 * ctime, inode) → sha, plus whether the file matched the committed state, so status, diff and
 * commit on an unchanged tree do not read file contents, and a clean `status` does not even
 * parse `.pvr/json`.
 *
 * An entry is trusted only when the stamp matches and the file's ctime was older than the moment
 * it was hashed by more than the filesystem's timestamp granularity (50 ms, or 2 s where
 * timestamps are whole seconds): any later write then moves ctime, which no user can set. The
 * "clean" flags hold only for the `.pvr/json` whose stamp they were computed against, and a
 * checksum over the whole file guards the counts and shas that no stat can check. A stale,
 * missing or corrupt cache therefore only costs time, never a wrong answer.
 *
 * The directories of the cached paths (and their parents) are kept too: how many entries lie
 * directly in each, which lets a clean `status` match a readdir() against the cache without a
 * lookup per file, and the directory's own stamp (mtime, ctime, inode) from when a `status`
 * last found its listing to be exactly those files and known directories. Adding, removing or
 * renaming an entry moves a directory's mtime and ctime, so while that stamp stands (and is
 * older than the racy window, as for files) the directory need not be read again.
 *
 * On disk (little-endian): "PVRSC8\n\0", then f64s [count, hasPristine, pristine size, mtime,
 * ctime, ino, pristine key count, dir count, bytes of the paths, CRC-32 of everything after
 * this header], then count × 6 f64s [size,
 * mtime, ctime, ino, hashedAt, clean], dir count × 5 f64s [entries directly in it, mtime, ctime,
 * ino, listedAt (0: never)], count × 64 bytes of sha hex (zeros for inline JSON), then the paths
 * joined by "\n", a "\n" if there are any, and the directories ("" for the root, else with a
 * trailing "/") joined by "\n". Loading it is one read; the paths are split into strings only when one is asked for
 * (a clean `status` hands their bytes to statx). An older format is simply not loaded (the next
 * scan rebuilds it).
 */
import { readFileSync, renameSync, type Stats, writeFileSync } from "node:fs";
import { join } from "node:path";
import { StatxPaths } from "../fsutil/statx-stamps";

const MAGIC = "PVRSC8\n\0";
const HEADER = 88;
const FIELDS = 6;
const DIR_FIELDS = 5;

/** What must be unchanged for a cached value to stand: size, mtime, ctime, inode. */
export type Stamp = [number, number, number, number];

/** A directory holding cached paths (directly or below): see the top of this file. */
export interface CachedDir {
  files: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  listedAt: number;
}

export function stampOf(st: Stats): Stamp {
  return [st.size, st.mtimeMs, st.ctimeMs, st.ino];
}

function racyWindowMs(ctimeMs: number): number {
  return ctimeMs % 1000 === 0 ? 2000 : 50;
}

export class StatCache {
  /** the paths, split from pathBytes on first use */
  private pathList: string[] | null = [];
  /** entries while pathList is not split yet */
  private storedCount = 0;
  /** FIELDS numbers per entry; grows by doubling, only the first paths.length entries count */
  private nums: Float64Array<ArrayBufferLike> = new Float64Array(0);
  /** the sha section as read (count × 64 bytes), split into `shas` only when a sha is needed */
  private shaBytes: Buffer = Buffer.alloc(0);
  private shaList: string[] | null = [];
  private indexMap: Map<string, number> | null = new Map();
  private pristine: { stamp: Stamp; count: number } | null = null;
  /** directory prefix → what is known of it (null once the paths change; rebuilt without stamps) */
  private dirs: Map<string, CachedDir> | null = null;
  private children: Map<string, string[]> | null = null;
  private dirty = false;
  /** the paths section as read ('\n'-separated); null when paths changed since */
  private pathBytes: Buffer | null = null;

  constructor(private readonly file: string) {}

  static load(pvrDir: string): StatCache {
    const file = join(pvrDir, "statcache");
    let bytes: Buffer | null = null;
    try {
      bytes = readFileSync(file);
    } catch {}
    return StatCache.parse(file, bytes);
  }

  /** The cache saved at `file`, from its bytes (null: no cache). */
  static parse(file: string, bytes: Buffer | null): StatCache {
    const cache = new StatCache(file);
    try {
      if (bytes) cache.decode(bytes);
    } catch {
      cache.forget();
    }
    return cache;
  }

  // Only what every caller needs is decoded here: the numbers (kept as a typed array; Array.from
  // on it alone costs more than the rest of a clean `status`) and the directories. The paths, the
  // index and the shas are built on first use, so the fast path of `status` never pays for them.
  private decode(buf: Buffer): void {
    if (buf.length < HEADER || buf.toString("latin1", 0, 8) !== MAGIC) return;
    const head = new Float64Array(buf.buffer.slice(buf.byteOffset + 8, buf.byteOffset + HEADER));
    const count = head[0] as number;
    const dirCount = head[7] as number;
    const pathsLength = head[8] as number;
    if (head[9] !== Bun.hash.crc32(buf.subarray(HEADER))) return;
    const numsEnd = HEADER + count * FIELDS * 8;
    const dirsEnd = numsEnd + dirCount * DIR_FIELDS * 8;
    const shasEnd = dirsEnd + count * 64;
    const pathsEnd = shasEnd + pathsLength;
    const ints = [count, dirCount, pathsLength];
    if (ints.some((n) => !Number.isInteger(n) || n < 0) || dirCount < 1 || pathsEnd + (count ? 1 : 0) > buf.length) return;
    if (count > 0 && buf[pathsEnd] !== 10) return;
    const dirNames = buf.toString("utf8", pathsEnd + (count ? 1 : 0)).split("\n");
    if (dirNames.length !== dirCount) return;
    const dirNums = new Float64Array(buf.buffer.slice(buf.byteOffset + numsEnd, buf.byteOffset + dirsEnd));
    const dirs = new Map<string, CachedDir>();
    for (let i = 0; i < dirCount; i++) {
      const [files, mtimeMs, ctimeMs, ino, listedAt] = dirNums.subarray(i * DIR_FIELDS, i * DIR_FIELDS + DIR_FIELDS) as unknown as number[];
      dirs.set(dirNames[i] as string, { files, mtimeMs, ctimeMs, ino, listedAt } as CachedDir);
    }
    // a view when the bytes are aligned for it (they are, as readFileSync allocates), else a copy
    const at = buf.byteOffset + HEADER;
    this.nums = at % 8 === 0 ? new Float64Array(buf.buffer, at, count * FIELDS) : new Float64Array(buf.buffer.slice(at, buf.byteOffset + numsEnd));
    this.shaBytes = buf.subarray(dirsEnd, shasEnd);
    this.shaList = null;
    this.indexMap = null;
    this.pathList = null;
    this.storedCount = count;
    this.pathBytes = buf.subarray(shasEnd, pathsEnd);
    this.dirs = dirs;
    if (head[1] === 1) this.pristine = { stamp: [head[2], head[3], head[4], head[5]] as Stamp, count: head[6] as number };
  }

  private get paths(): string[] {
    if (!this.pathList) {
      const list = this.storedCount ? (this.pathBytes as Buffer).toString("utf8").split("\n") : [];
      if (list.length === this.storedCount) this.pathList = list;
      else this.forget(); // a corrupt paths section: dropped, as a cache that fails to parse
    }
    return this.pathList as string[];
  }

  /** Empties the cache (what a missing or corrupt one amounts to). */
  private forget(): void {
    this.pathList = [];
    this.storedCount = 0;
    this.pathBytes = null;
    this.nums = new Float64Array(0);
    this.shaList = [];
    this.indexMap = new Map();
    this.pristine = null;
    this.dirs = null;
    this.children = null;
  }

  private set paths(list: string[]) {
    this.pathList = list;
  }

  /** How many entries the cache holds. */
  get size(): number {
    return this.pathList ? this.pathList.length : this.storedCount;
  }

  private get index(): Map<string, number> {
    if (!this.indexMap) {
      this.indexMap = new Map();
      for (let i = 0; i < this.paths.length; i++) this.indexMap.set(this.paths[i] as string, i);
    }
    return this.indexMap;
  }

  private get shas(): string[] {
    if (!this.shaList) {
      const text = this.shaBytes.toString("latin1");
      const list: string[] = [];
      for (let i = 0; i < this.size; i++) {
        const sha = text.slice(i * 64, i * 64 + 64);
        list.push(sha.charCodeAt(0) === 0 ? "" : sha);
      }
      this.shaList = list;
      this.shaBytes = Buffer.alloc(0);
    }
    return this.shaList;
  }

  private trusted(i: number, st: Stats): boolean {
    return this.trustedStamp(i, st.size, st.mtimeMs, st.ctimeMs, st.ino);
  }

  private trustedStamp(i: number, size: number, mtimeMs: number, ctimeMs: number, ino: number): boolean {
    const n = this.nums;
    const o = i * FIELDS;
    return n[o] === size && n[o + 1] === mtimeMs && n[o + 2] === ctimeMs && n[o + 3] === ino && ctimeMs + racyWindowMs(ctimeMs) < (n[o + 4] as number);
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
    const shas = this.shas;
    let i = this.index.get(path);
    if (i === undefined) {
      i = this.paths.length;
      this.index.set(path, i);
      this.paths.push(path);
      this.dirs = null;
      this.children = null;
      this.pathBytes = null;
      if (this.nums.length < (i + 1) * FIELDS) {
        const grown = new Float64Array(Math.max(64, this.nums.length * 2, (i + 1) * FIELDS));
        grown.set(this.nums);
        this.nums = grown;
      }
    }
    shas[i] = sha;
    this.nums.set([st.size, st.mtimeMs, st.ctimeMs, st.ino, hashedAt, 0], i * FIELDS);
    this.dirty = true;
  }

  /**
   * After a full scan: which seen files equal the committed state whose `.pvr/json` had
   * `stamp` and `count` keys. Entries of files not seen are dropped.
   */
  settle(seen: Map<string, boolean>, stamp: Stamp | null, count: number): void {
    const keep = this.paths.filter((p) => seen.has(p));
    if (keep.length !== this.paths.length) {
      const old = { nums: this.nums, shas: this.shas, index: this.index };
      this.paths = keep;
      this.dirs = null;
      this.children = null;
      this.pathBytes = null;
      this.nums = new Float64Array(keep.length * FIELDS);
      this.shaList = [];
      this.indexMap = new Map();
      keep.forEach((p, j) => {
        const i = old.index.get(p) as number;
        this.index.set(p, j);
        this.shas.push(old.shas[i] as string);
        this.nums.set(old.nums.subarray(i * FIELDS, i * FIELDS + FIELDS), j * FIELDS);
      });
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

  /**
   * For the clean-tree fast path of `status`: how many paths are cached and their directories, when the paths are exactly the keys of the committed state whose
   * `.pvr/json` has stat `st` and every one matched it at the last scan; null otherwise. Entry
   * i is then clean iff `unchanged(i, stat of paths[i])`.
   */
  cleanPaths(st: Stats): { count: number; dirs: ReadonlyMap<string, CachedDir> } | null {
    const p = this.pristine;
    const count = this.size;
    if (!p || p.count !== count) return null;
    const [size, mtime, ctime, ino] = p.stamp;
    if (size !== st.size || mtime !== st.mtimeMs || ctime !== st.ctimeMs || ino !== st.ino) return null;
    for (let i = 0; i < count; i++) if (this.nums[i * FIELDS + 5] !== 1) return null;
    return { count, dirs: this.dirTable() };
  }

  /** Every directory of the cached paths and every parent of one, the root ("") included. */
  private dirTable(): Map<string, CachedDir> {
    if (!this.dirs) {
      const dirs = new Map<string, CachedDir>();
      const entry = (prefix: string): CachedDir => {
        let d = dirs.get(prefix);
        if (!d) {
          d = { files: 0, mtimeMs: 0, ctimeMs: 0, ino: 0, listedAt: 0 };
          dirs.set(prefix, d);
          if (prefix !== "") entry(prefix.slice(0, prefix.lastIndexOf("/", prefix.length - 2) + 1));
        }
        return d;
      };
      entry("");
      for (const path of this.paths) entry(path.slice(0, path.lastIndexOf("/") + 1)).files++;
      this.dirs = dirs;
    }
    return this.dirs;
  }

  /** The directories directly below `prefix` that hold cached paths, as prefixes ("a/b/"). */
  childDirs(prefix: string): readonly string[] {
    if (!this.children) {
      this.children = new Map();
      for (const d of this.dirTable().keys()) {
        if (d === "") continue;
        const parent = d.slice(0, d.lastIndexOf("/", d.length - 2) + 1);
        const list = this.children.get(parent);
        if (list) list.push(d);
        else this.children.set(parent, [d]);
      }
    }
    return this.children.get(prefix) ?? [];
  }

  /**
   * Whether directory `prefix`, now stat'ed as `st`, provably lists what it did when
   * recordListing() was called for it: the same stamp, and its last change older than that
   * listing by more than the racy window.
   */
  listingUnchanged(prefix: string, st: Stats): boolean {
    const d = this.dirs?.get(prefix);
    return d !== undefined && d.listedAt > 0 && d.mtimeMs === st.mtimeMs && d.ctimeMs === st.ctimeMs && d.ino === st.ino && st.ctimeMs + racyWindowMs(st.ctimeMs) < d.listedAt;
  }

  /** Directory `prefix` (stat'ed as `st` at `listedAt`, before it was read) held exactly its cached files and known directories. */
  recordListing(prefix: string, st: Stats, listedAt: number): void {
    const d = this.dirTable().get(prefix);
    if (!d) return;
    Object.assign(d, { mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino, listedAt });
    this.dirty = true;
  }

  /** The cached paths; entry i is paths[i]. */
  get keys(): readonly string[] {
    return this.paths;
  }

  /** Whether the file of entry i, now stat'ed as `st`, provably still holds what was cached. */
  unchanged(i: number, st: Stats): boolean {
    return this.trusted(i, st);
  }

  /** As unchanged(), from a stamp [size, mtimeMs, ctimeMs, ino] (StatxPaths.stamp). */
  unchangedStamp(i: number, stamp: Float64Array): boolean {
    return this.trustedStamp(i, stamp[0] as number, stamp[1] as number, stamp[2] as number, stamp[3] as number);
  }

  /** The cached paths for statx (entry i is path i), or null without FFI. */
  statxPaths(): StatxPaths | null {
    return StatxPaths.from(this.pathText(), this.size);
  }

  /** The paths as saved: joined by "\n", UTF-8 (the bytes as read while they are unchanged). */
  private pathText(): Buffer {
    return this.pathBytes ?? Buffer.from(this.paths.join("\n"), "utf8");
  }

  /** Saves atomically (temp + rename). Not fsynced: losing the cache only costs time. */
  save(): void {
    if (!this.dirty) return;
    const count = this.size;
    const dirs = this.dirTable();
    const paths = this.pathText();
    const head = new Float64Array(10);
    head[0] = count;
    if (this.pristine) {
      head[1] = 1;
      head.set(this.pristine.stamp, 2);
      head[6] = this.pristine.count;
    }
    head[7] = dirs.size;
    head[8] = paths.length;
    let shas: Buffer;
    if (this.shaList) {
      shas = Buffer.alloc(count * 64);
      this.shaList.forEach((s, i) => {
        if (s) shas.write(s, i * 64, "latin1");
      });
    } else shas = this.shaBytes;
    const body = Buffer.concat([
      Buffer.from(this.nums.buffer, this.nums.byteOffset, count * FIELDS * 8),
      Buffer.from(new Float64Array([...dirs.values()].flatMap((d) => [d.files, d.mtimeMs, d.ctimeMs, d.ino, d.listedAt])).buffer),
      shas,
      paths,
      Buffer.from(`${count ? "\n" : ""}${[...dirs.keys()].join("\n")}`, "utf8"),
    ]);
    head[9] = Bun.hash.crc32(body);
    const out = Buffer.concat([Buffer.from(MAGIC, "latin1"), Buffer.from(head.buffer), body]);
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
