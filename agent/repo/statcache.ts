/**
 * The stat cache (`.pvr/statcache`, ignored by the Go tool): path → (size, mtime, ctime, inode)
 * → sha, so status, diff and commit on an unchanged tree do not read file contents.
 *
 * An entry is trusted only when every stat field matches and the file's ctime was at least
 * RACY_NS older than the moment it was hashed: a write after hashing then always moves ctime
 * (which no user can set), even on filesystems with coarse timestamps. A stale, missing or
 * corrupt cache therefore only costs time.
 */
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { BigIntStats } from "node:fs";

const HEADER = "pvr-statcache 1";
const RACY_NS = 2_000_000_000n;

interface Entry {
  sha: string;
  size: string;
  mtime: string;
  ctime: string;
  ino: string;
  hashedAt: string;
}

export class StatCache {
  private entries = new Map<string, Entry>();
  private dirty = false;

  constructor(private readonly file: string) {}

  static load(pvrDir: string): StatCache {
    const cache = new StatCache(join(pvrDir, "statcache"));
    let text: string;
    try {
      text = readFileSync(cache.file, "utf8");
    } catch {
      return cache;
    }
    const lines = text.split("\n");
    if (lines[0] !== HEADER) return cache;
    for (let i = 1; i < lines.length; i++) {
      const f = (lines[i] as string).split("\t");
      if (f.length !== 7) continue;
      const [sha, size, mtime, ctime, ino, hashedAt, path] = f as [string, string, string, string, string, string, string];
      if (sha.length !== 64) continue;
      cache.entries.set(path, { sha, size, mtime, ctime, ino, hashedAt });
    }
    return cache;
  }

  /** The cached sha for `path` if the file provably has not changed since it was hashed. */
  lookup(path: string, st: BigIntStats): string | undefined {
    const e = this.entries.get(path);
    if (!e) return undefined;
    if (e.size !== String(st.size) || e.mtime !== String(st.mtimeNs) || e.ctime !== String(st.ctimeNs) || e.ino !== String(st.ino)) {
      return undefined;
    }
    try {
      if (st.ctimeNs + RACY_NS >= BigInt(e.hashedAt)) return undefined;
    } catch {
      return undefined;
    }
    return e.sha;
  }

  /** Records a hash; `hashedAt` must be taken (in ns since the epoch) before the file was read. */
  record(path: string, st: BigIntStats, sha: string, hashedAt: bigint): void {
    if (path.includes("\n") || path.includes("\t")) return;
    this.entries.set(path, {
      sha,
      size: String(st.size),
      mtime: String(st.mtimeNs),
      ctime: String(st.ctimeNs),
      ino: String(st.ino),
      hashedAt: String(hashedAt),
    });
    this.dirty = true;
  }

  /** Drops entries for paths not seen in the last scan. */
  retainOnly(paths: Set<string>): void {
    for (const p of this.entries.keys()) {
      if (!paths.has(p)) {
        this.entries.delete(p);
        this.dirty = true;
      }
    }
  }

  /** Saves atomically (temp + rename). Not fsynced: losing the cache only costs time. */
  save(): void {
    if (!this.dirty) return;
    const out = [HEADER];
    for (const [p, e] of this.entries) out.push(`${e.sha}\t${e.size}\t${e.mtime}\t${e.ctime}\t${e.ino}\t${e.hashedAt}\t${p}`);
    const tmp = `${this.file}.tmp-${process.pid}`;
    try {
      writeFileSync(tmp, out.join("\n"));
      renameSync(tmp, this.file);
      this.dirty = false;
    } catch {
      // a read-only checkout or a full disk: the cache is optional
    }
  }
}

export function nowNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}
