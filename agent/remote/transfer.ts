/**
 * Copying the objects of a state from one objects directory into a store. Every copy is hashed
 * on the way in (ObjectStore.installFile with the expected sha), so a corrupt or truncated source
 * object is reported by name and never installed. Objects the store already has are skipped
 * (the Go tool copies them again, unverified); with `force` they are re-hashed first and replaced
 * when they do not match. All problems are collected and reported together.
 */
import { existsSync, unlinkSync } from "node:fs";
import { join, resolve } from "node:path";
import { PvrError } from "../errors";
import { syncFiles } from "../fsutil/sync";
import { hashFile, type ObjectStore } from "../objects/store";
import { compareKeys } from "../state/canonical";
import { isInlineJson, SPEC_KEY, type State } from "../state/model";

export interface TransferOptions {
  /** Names the source in messages. */
  label: string;
  force?: boolean;
  /** Called once per object: its first key and whether the store already had it. */
  log?: (key: string, sha: string, cached: boolean) => void;
}

export interface TransferResult {
  copied: number;
  cached: number;
}

/** Object ids of `state` with the first key (in key order) naming each. */
export function objectsByKey(state: State): Map<string, string> {
  const out = new Map<string, string>();
  for (const key of Object.keys(state).sort(compareKeys)) {
    const v = state[key];
    if (key === SPEC_KEY || isInlineJson(key, v)) continue;
    const sha = (v as string).toLowerCase();
    if (!out.has(sha)) out.set(sha, key);
  }
  return out;
}

function present(store: ObjectStore, sha: string, force: boolean): boolean {
  if (!store.has(sha)) return false;
  if (!force) return true;
  if (hashFile(store.path(sha)).sha === sha) return true;
  unlinkSync(store.path(sha));
  return false;
}

export function transferObjects(state: State, fromDir: string, to: ObjectStore, opts: TransferOptions): TransferResult {
  const result: TransferResult = { copied: 0, cached: 0 };
  const corrupt: string[] = [];
  const missing: string[] = [];
  const fresh: string[] = [];
  const sameStore = resolve(fromDir) === resolve(to.dir);
  for (const [sha, key] of objectsByKey(state)) {
    if (present(to, sha, Boolean(opts.force) && !sameStore)) {
      result.cached++;
      opts.log?.(key, sha, true);
      continue;
    }
    const src = join(fromDir, sha);
    if (!existsSync(src)) {
      missing.push(`object ${sha} (${key}) is missing`);
      continue;
    }
    try {
      const r = to.installFile(src, { expected: sha, fsync: false });
      if (r.fresh) fresh.push(r.path);
    } catch (err) {
      if (err instanceof PvrError && err.code === "integrity") {
        corrupt.push(`object ${sha} (${key}) is corrupt: ${err.message}`);
        continue;
      }
      throw err;
    }
    result.copied++;
    opts.log?.(key, sha, false);
  }
  syncFiles(to.dir, fresh);
  const problems = [...corrupt, ...missing];
  if (problems.length) {
    const msg = `${problems.length} object(s) could not be taken from ${opts.label} (${fromDir}); the repository state was not changed:\n  ${problems.join("\n  ")}`;
    throw corrupt.length ? PvrError.integrity(msg) : PvrError.notFound(msg);
  }
  return result;
}
