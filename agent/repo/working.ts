/**
 * Building the working state from the files on disk (spec pvr-format 3.3, GetWorkingJson):
 * walk the tree in byte order, inline tracked `.json` files, hash everything else (through the
 * stat cache), and list untracked files. `.pvr/`, `.pv/` and an in-tree objects directory are
 * never part of the state.
 */
import { accessSync, constants, type Dirent, existsSync, lstatSync, readdirSync, readFileSync, type Stats, statSync } from "node:fs";
import { join } from "node:path";
import { fromSystemError, PvrError } from "../errors";
import { hashFile } from "../objects/store";
import { compareKeys, jsonEqual } from "../state/canonical";
import type { JsonValue } from "../state/json";
import { DEFAULT_SPEC, isInlineJson, SPEC_KEY, type State } from "../state/model";
import { readJsonFile, type Repo, type Staged } from "./repo";
import { checkAll } from "./statcheck";
import { type Stamp, StatCache, stampOf } from "./statcache";

const NO_THROW = { throwIfNoEntry: false } as const;

export interface WorkingFile {
  key: string;
  abs: string;
}

/** Walks regular files (and symlinks to files) under `dir`, yielding repository keys in byte order. */
export function walkFiles(repo: Repo, dir = repo.root): Generator<WorkingFile> {
  return walkDir(repo, dir, repo.objects.dir);
}

function* walkDir(repo: Repo, dir: string, objectsDir: string): Generator<WorkingFile> {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    throw fromSystemError(err, `cannot read directory ${dir}`);
  }
  entries.sort((a, b) => compareKeys(a.name, b.name));
  for (const entry of entries) {
    const name = entry.name;
    const abs = `${dir}/${name}`;
    // some filesystems report no type in readdir: ask lstat then
    const st = entry.isFile() || entry.isDirectory() || entry.isSymbolicLink() ? entry : lstatOrThrow(abs);
    if (dir === repo.root && (name === ".pvr" || name === ".pv")) continue;
    if (abs === objectsDir) continue;
    if (st.isDirectory()) {
      yield* walkDir(repo, abs, objectsDir);
      continue;
    }
    if (st.isSymbolicLink()) {
      let target;
      try {
        target = statSync(abs);
      } catch {
        throw PvrError.failed(`${abs}: dangling symbolic link; pvr stores file contents, so point it at a file or remove it`);
      }
      if (target.isDirectory()) {
        throw PvrError.failed(`${abs}: symbolic link to a directory cannot be stored; replace it with the files`);
      }
      if (!target.isFile()) continue;
    } else if (!st.isFile()) continue;
    yield { key: abs.slice(repo.root.length + 1), abs };
  }
}

function lstatOrThrow(path: string): Stats {
  try {
    return lstatSync(path);
  } catch (err) {
    throw fromSystemError(err, `cannot stat ${path}`);
  }
}

function statOrThrow(path: string): Stats {
  try {
    return statSync(path);
  } catch (err) {
    throw fromSystemError(err, `cannot stat ${path}`);
  }
}

/** Records which scanned files equal `pristine` (read from a `.pvr/json` with `stamp`). */
export function settleCache(cache: StatCache, working: State, pristine: State, stamp: Stamp | null): void {
  const clean = new Map<string, boolean>();
  for (const k of Object.keys(working)) if (k !== SPEC_KEY) clean.set(k, jsonEqual(working[k], pristine[k]));
  cache.settle(clean, stamp, Object.keys(pristine).length - (SPEC_KEY in pristine ? 1 : 0));
  cache.save();
}

/**
 * The clean-tree fast path of `status`: the untracked files when the stat cache proves that
 * every committed file is present and unchanged (and nothing is staged), without parsing
 * `.pvr/json`; null whenever that cannot be proven, and the caller does a full scan.
 *
 * Every cached path is stat'ed and must match its entry (statcheck.ts, shared with a worker
 * thread). Meanwhile the directories are walked. One whose stamp shows its listing unchanged
 * since a status found it clean (statcache.ts) is not read: its known subdirectories are walked.
 * Any other is read: it may hold only regular files and directories, and at least as many files
 * as the cache has entries directly in it. The matched entries are among those files, so equal
 * counts mean no untracked file there, and only a directory with more files than entries is
 * looked at name by name. Entries in a directory the walk does not reach (behind a symlink,
 * inside the objects directory) leave the total short. A directory read and found to hold
 * exactly its cached files and known directories gets its stamp recorded (the cache is saved
 * when the tree proves clean).
 */
export function provablyClean(repo: Repo): string[] | null {
  let pristineStat: Stats;
  const file = join(repo.pvrDir, "statcache");
  let bytes: Buffer;
  try {
    if (existsSync(repo.path("new"))) return null;
    pristineStat = statSync(repo.path("json"));
    bytes = readFileSync(file);
  } catch {
    return null;
  }
  const cache = StatCache.parse(file, bytes);
  const clean = cache.cleanPaths(pristineStat);
  if (clean === null) return null;
  const { count, dirs } = clean;
  const objectsDir = repo.objects.dir;
  const untracked: string[] = [];
  let known: Set<string> | undefined;
  let matched = 0;
  let recorded = false;
  const visit = (dir: string, prefix: string): boolean => {
    const cached = dirs.get(prefix)?.files ?? 0;
    const listedAt = Date.now(); // before the stat and the listing: a change after either is seen next time
    let dirStat: Stats | undefined;
    try {
      dirStat = dirs.has(prefix) ? statSync(dir, NO_THROW) : undefined;
    } catch {
      return false; // unreadable (EACCES, ELOOP...): the full scan reports it
    }
    if (dirStat && cache.listingUnchanged(prefix, dirStat)) {
      for (const child of cache.childDirs(prefix)) if (!visit(`${dir}/${child.slice(prefix.length, -1)}`, child)) return false;
      matched += cached;
      return true;
    }
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return false;
    }
    let files = 0;
    let onlyKnown = true;
    for (const e of entries) {
      const name = e.name;
      if (prefix === "" && (name === ".pvr" || name === ".pv")) continue;
      if (e.isFile()) files++;
      else if (!e.isDirectory()) return false; // symlinks, unknown types: let the full scan decide
      else if (`${dir}/${name}` === objectsDir) {
        onlyKnown = false; // never vouch for it: it turns into untracked files if ObjectsDir changes
        continue;
      }
      else {
        if (!dirs.has(`${prefix}${name}/`)) onlyKnown = false;
        if (!visit(`${dir}/${name}`, `${prefix}${name}/`)) return false;
      }
    }
    if (files === cached && onlyKnown && dirStat?.isDirectory()) {
      cache.recordListing(prefix, dirStat, listedAt);
      recorded = true;
    }
    if (files !== cached) {
      known ??= new Set(cache.keys);
      const before = untracked.length;
      for (const e of entries) {
        const key = prefix + e.name;
        if (e.isFile() && !known.has(key) && !(prefix === "" && (e.name === ".pvr" || e.name === ".pv"))) untracked.push(key);
      }
      if (untracked.length - before !== files - cached) return false;
    }
    matched += cached;
    return true;
  };
  // the walk runs while the stat worker starts; the stats take paths relative to the root
  const cwd = process.cwd();
  try {
    process.chdir(repo.root);
    const ok = checkAll(cache, file, bytes, () => visit(repo.root, "") && matched === count);
    if (ok && recorded) cache.save();
    return ok ? untracked.sort(compareKeys) : null;
  } finally {
    process.chdir(cwd);
  }
}

/** How to get the sha of a non-inline file; commit swaps in one that stores while hashing. */
export type ObjectHasher = (file: WorkingFile, st: Stats) => string;

export interface WorkingScan {
  state: State;
  untracked: string[];
  /** key → absolute path, for every non-inline key */
  objectFiles: Map<string, string>;
  cache: StatCache;
}

export function scanWorking(
  repo: Repo,
  pristine: State,
  staged: Staged,
  opts: { hasher?: ObjectHasher; cache?: StatCache } = {},
): WorkingScan {
  const cache = opts.cache ?? StatCache.load(repo.pvrDir);
  const spec = pristine[SPEC_KEY];
  const state: State = Object.create(null);
  state[SPEC_KEY] = typeof spec === "string" ? spec : DEFAULT_SPEC;
  const untracked: string[] = [];
  const objectFiles = new Map<string, string>();
  const hashedAt = Date.now();
  const defaultHasher: ObjectHasher = (f) => hashFile(f.abs).sha;
  const hasher = opts.hasher ?? defaultHasher;

  // Inline JSON is parsed (and every object file stat'ed) before any object is hashed, so a
  // bad JSON file or an unreadable file fails a commit before it stores anything.
  const objects: { file: WorkingFile; stat: Stats }[] = [];
  for (const file of walkFiles(repo)) {
    const { key, abs } = file;
    const pv = pristine[key];
    const st = staged[key];
    if (pv === undefined && st === undefined) {
      untracked.push(key);
      continue;
    }
    if (isInlineJson(key, pv) && !st?.ForceObject) {
      const stat = statOrThrow(abs);
      state[key] = readJsonFile(abs, key) as JsonValue;
      cache.record(key, stat, "", hashedAt);
      continue;
    }
    try {
      objects.push({ file, stat: statSync(abs) });
      if (opts.hasher) accessSync(abs, constants.R_OK);
    } catch (err) {
      throw fromSystemError(err, `cannot read ${abs}`);
    }
  }
  for (const { file, stat } of objects) {
    let sha = cache.lookup(file.key, stat);
    if (sha === undefined) {
      sha = hasher(file, stat);
      cache.record(file.key, stat, sha, hashedAt);
    }
    state[file.key] = sha;
    objectFiles.set(file.key, file.abs);
  }
  settleCache(cache, state, pristine, repo.pristineStamp);
  return { state, untracked, objectFiles, cache };
}
