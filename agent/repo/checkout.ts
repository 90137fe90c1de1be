/**
 * `pvr reset` / `pvr checkout` (spec pvr-format 5.7): write every key of a state into the
 * working tree. Objects are copied while hashed and renamed into place only when they match
 * their sha (or hard-linked read-only with `hardlink`); inline JSON is written as Go's
 * MarshalIndent would (canonical with `canonical` or `hardlink`). All keys are checked before
 * anything is written. Files not in the state are left alone, as in the Go tool.
 */
import { chmodSync, closeSync, linkSync, lstatSync, mkdirSync, openSync, renameSync, statSync, unlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { fromSystemError, PvrError } from "../errors";
import { tempPath, writeFileDurable } from "../fsutil/durable";
import { pumpHashing } from "../objects/store";
import { canonicalize, compareKeys } from "../state/canonical";
import { goMarshalIndent } from "../state/indent";
import type { JsonValue } from "../state/json";
import { isInlineJson, keyProblem, SPEC_KEY, type State } from "../state/model";
import type { FreshTree } from "./fresh-tree";
import type { Repo } from "./repo";
import { StatCache } from "./statcache";

export interface CheckoutOptions {
  hardlink?: boolean;
  canonical?: boolean;
  /**
   * The tree is new and private to this process (a clone built aside and renamed into place
   * when complete): files are created under their names directly, without a temp and a rename,
   * and the ones `fresh` already wrote as their objects arrived are kept.
   */
  fresh?: FreshTree;
}

/**
 * Creates the parent directories of `key` under `root`, refusing to go through a symbolic link
 * (which could point outside the checkout) or a file in the way.
 */
export function ensureParent(root: string, key: string, checked: Set<string>): void {
  const segs = key.split("/").slice(0, -1);
  let dir = root;
  for (const seg of segs) {
    dir = join(dir, seg);
    if (checked.has(dir)) continue;
    checked.add(dir);
    let st;
    try {
      st = lstatSync(dir);
    } catch {
      try {
        mkdirSync(dir, { mode: 0o755 });
        continue;
      } catch (err) {
        throw fromSystemError(err, `cannot create ${dir}`);
      }
    }
    if (st.isSymbolicLink()) throw PvrError.unsafe(`refusing to write ${key} through the symbolic link ${dir}`);
    if (!st.isDirectory()) throw PvrError.failed(`Not a directory ${dir}`);
  }
}


function copyVerified(src: string, target: string, sha: string, key: string, fresh: boolean): void {
  const tmp = fresh ? target : tempPath(dirname(target), "checkout");
  let inFd: number | undefined;
  let outFd: number | undefined;
  try {
    try {
      inFd = openSync(src, "r");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") {
        throw PvrError.notFound(`object ${sha} for ${key} is missing from ${dirname(src)}`);
      }
      throw err;
    }
    outFd = openSync(tmp, "wx", 0o644);
    const got = pumpHashing(inFd, outFd).sha;
    if (got !== sha) throw PvrError.integrity(`Object cannot be checked out; wrong sha: ${got} == ${sha} (${key})`);
    closeSync(outFd);
    outFd = undefined;
    if (tmp !== target) renameSync(tmp, target);
  } catch (err) {
    if (outFd !== undefined) closeSync(outFd);
    try {
      unlinkSync(tmp);
    } catch {}
    throw fromSystemError(err, `cannot check out ${key}`);
  } finally {
    if (inFd !== undefined) closeSync(inFd);
  }
}

function hardlinkObject(src: string, target: string, sha: string, key: string): void {
  const tmp = tempPath(dirname(target), "checkout");
  try {
    linkSync(src, tmp);
    chmodSync(tmp, 0o444);
    renameSync(tmp, target);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {}
    if ((err as NodeJS.ErrnoException).code === "ENOENT") throw PvrError.notFound(`object ${sha} for ${key} is missing`);
    throw fromSystemError(err, `cannot link ${key}`);
  }
}

export function checkoutState(repo: Repo, state: State, opts: CheckoutOptions = {}): number {
  const keys = Object.keys(state)
    .filter((k) => !k.startsWith(SPEC_KEY))
    .sort(compareKeys);
  for (const k of keys) {
    const problem = keyProblem(k);
    if (problem) throw PvrError.unsafe(`unsafe state key ${JSON.stringify(k)}: ${problem}`);
  }
  const cache = StatCache.load(repo.pvrDir);
  const checked = opts.fresh?.checked ?? new Set<string>();
  let written = 0;
  for (const key of keys) {
    const value = state[key] as JsonValue;
    const target = join(repo.root, key);
    ensureParent(repo.root, key, checked);
    if (isInlineJson(key, value)) {
      const text = opts.canonical || opts.hardlink ? canonicalize(value) : goMarshalIndent(value);
      writeFileDurable(target, text, 0o644, { fsync: false });
      written++;
      continue;
    }
    const sha = (value as string).toLowerCase();
    if (opts.fresh?.written.get(key) === sha) {
      written++;
      continue;
    }
    if (!opts.hardlink && !opts.fresh) {
      try {
        if (cache.lookup(key, statSync(target)) === sha) continue;
      } catch {}
    }
    const src = repo.objects.path(sha);
    if (opts.hardlink) hardlinkObject(src, target, sha, key);
    else copyVerified(src, target, sha, key, opts.fresh !== undefined);
    written++;
  }
  cache.save();
  repo.clearStaged();
  return written;
}
