/**
 * `pvr commit` (spec pvr-format 5.5): store new and changed files as objects (hashed while
 * copied), then replace `.pvr/json` durably. By default the new state is the working state, so
 * nulls and big integers in inline JSON survive; `compatGo` reproduces the Go tool's
 * MergePatch(pristine, diff) with its float64 rounding and null pruning, for byte-identical
 * states with Go-built checkouts.
 */
import { join } from "node:path";
import { writeFileDurable } from "../fsutil/durable";
import { syncFiles } from "../fsutil/sync";
import { hashFile } from "../objects/store";
import { applyMergePatch, createMergePatch, goFloatRoundTrip } from "../state/mergepatch";
import { isSha, type State } from "../state/model";
import type { Repo } from "./repo";
import { type Changes, computeChanges } from "./status";
import type { ObjectHasher } from "./working";
import { scanWorking, settleCache } from "./working";
import { stampOf } from "./statcache";
import { statSync } from "node:fs";

export const DEFAULT_COMMIT_MESSAGE = "** No commit message **";

export interface CommitOptions {
  message?: string;
  compatGo?: boolean;
  checkpoint?: boolean;
  log?: (line: string) => void;
}

export interface CommitResult {
  changes: Changes;
  state: State;
  storedObjects: number;
}

export function commit(repo: Repo, opts: CommitOptions = {}): CommitResult {
  const log = opts.log ?? (() => {});
  const pristine = repo.pristine();
  const staged = repo.staged();
  if (opts.checkpoint) {
    writeFileDurable(join(repo.root, "checkpoint.json"), `{"major":${JSON.stringify(localIsoSeconds())}}`, 0o640);
    staged["checkpoint.json"] = { ForceObject: false, Sha: "" };
  }
  repo.objects.ensureDir();
  repo.objects.cleanStaleTemps();

  // Store while hashing when the object is probably new; only hash when the pristine object
  // for this key is already in the store (the file is probably unchanged).
  const written: string[] = [];
  const hasher: ObjectHasher = (file) => {
    const prev = pristine[file.key];
    if (isSha(prev) && repo.objects.has(prev.toLowerCase())) {
      const { sha } = hashFile(file.abs);
      if (sha === prev.toLowerCase()) return sha;
    }
    const r = repo.objects.installFile(file.abs, { fsync: false });
    if (r.fresh) written.push(r.path);
    return r.sha;
  };
  const scan = scanWorking(repo, pristine, staged, { hasher });
  const changes = computeChanges(pristine, scan.state);

  // Files whose sha came from the stat cache still need their object if the store lacks it.
  for (const key of [...changes.added, ...changes.changed]) {
    const file = scan.objectFiles.get(key);
    const sha = scan.state[key] as string;
    if (file === undefined || repo.objects.has(sha)) continue;
    const r = repo.objects.installFile(file, { expected: sha, fsync: false });
    if (r.fresh) written.push(r.path);
  }
  syncFiles(repo.objects.dir, written);

  for (const k of changes.added) log(`Adding ${k}`);
  for (const k of changes.changed) log(`Committing ${k}`);
  for (const k of changes.removed) log(`Removing ${k}`);

  const state = opts.compatGo
    ? (applyMergePatch(pristine, createMergePatch(goFloatRoundTrip(pristine), goFloatRoundTrip(scan.state)), true) as State)
    : scan.state;
  writeFileDurable(repo.path("commitmsg"), opts.message ?? DEFAULT_COMMIT_MESSAGE);
  repo.writePristine(state);
  repo.clearStaged();
  settleCache(scan.cache, scan.state, state, stampOf(statSync(repo.path("json"))));
  return { changes, state, storedObjects: written.length };
}

/** RFC 3339 local time with offset, like Go's time.Now().Format(time.RFC3339). */
function localIsoSeconds(d = new Date()): string {
  const off = -d.getTimezoneOffset();
  const pad = (n: number) => String(Math.trunc(Math.abs(n))).padStart(2, "0");
  const local = new Date(d.getTime() + off * 60_000).toISOString().slice(0, 19);
  return off === 0 ? `${local}Z` : `${local}${off > 0 ? "+" : "-"}${pad(off / 60)}:${pad(off % 60)}`;
}
