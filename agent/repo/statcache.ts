/**
 * The stat cache (`.pvr/statcache`, ignored by the Go tool): path → stat stamp (size, mtime,
 * ctime, inode) → sha, so status, diff and commit on an unchanged tree do not read contents.
 *
 * An entry is trusted only when the stamp matches and the file's ctime was older than the moment
 * it was hashed by more than the filesystem's timestamp granularity (50 ms, or 2 s where
 * timestamps are whole seconds): any later write then moves ctime, which no user can set. A
 * stale, missing or corrupt cache therefore only costs time, never a wrong answer.
 */
import { readFileSync, renameSync, type Stats, writeFileSync } from "node:fs";
import { join } from "node:path";

const VERSION = 2;

/** What must be unchanged for a cached sha to stand. */
export function stampOf(st: Stats): string {
  return `${st.size}:${st.mtimeMs}:${st.ctimeMs}:${st.ino}`;
}

function racyWindowMs(ctimeMs: number): number {
  return ctimeMs % 1000 === 0 ? 2000 : 50;
}

interface Entry {
  sha: string;
  stamp: string;
  hashedAt: number;
}

export class StatCache {
  private entries = new Map<string, Entry>();
  private dirty = false;

  constructor(private readonly file: string) {}

  static load(pvrDir: string): StatCache {
    const cache = new StatCache(join(pvrDir, "statcache"));
    try {
      const doc = JSON.parse(readFileSync(cache.file, "utf8")) as { v: number; e: [string, string, string, number][] };
      if (doc.v !== VERSION || !Array.isArray(doc.e)) return cache;
      for (const e of doc.e) {
        if (Array.isArray(e) && typeof e[0] === "string" && typeof e[1] === "string" && e[1].length === 64) {
          cache.entries.set(e[0], { sha: e[1], stamp: String(e[2]), hashedAt: Number(e[3]) });
        }
      }
    } catch {
      // missing or corrupt: start empty
    }
    return cache;
  }

  /** The cached sha for `path` if the file provably has not changed since it was hashed. */
  lookup(path: string, st: Stats): string | undefined {
    const e = this.entries.get(path);
    if (!e || e.stamp !== stampOf(st)) return undefined;
    if (!(st.ctimeMs + racyWindowMs(st.ctimeMs) < e.hashedAt)) return undefined;
    return e.sha;
  }

  /** Records a hash; `hashedAt` (ms since the epoch) must be taken before the file was read. */
  record(path: string, st: Stats, sha: string, hashedAt: number): void {
    this.entries.set(path, { sha, stamp: stampOf(st), hashedAt });
    this.dirty = true;
  }

  /** Drops entries for paths not seen in the last full scan. */
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
    const e = [...this.entries].map(([p, x]) => [p, x.sha, x.stamp, x.hashedAt]);
    const tmp = `${this.file}.tmp-${process.pid}`;
    try {
      writeFileSync(tmp, JSON.stringify({ v: VERSION, e }));
      renameSync(tmp, this.file);
      this.dirty = false;
    } catch {
      // a read-only checkout or a full disk: the cache is optional
    }
  }
}
