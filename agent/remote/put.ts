/**
 * `pvr put TARGET` to a local directory (spec pvr-format 8.7; the Go tool's local put is broken,
 * bug 17.2 item 6). Writes the committed state as canonical `TARGET/json` and every object it
 * references into `TARGET/objects/` (verified copies), so that `pvr get`/`clone TARGET` work.
 *
 * The target may be missing or empty (created), an existing repository directory (its `json`
 * is replaced; a `config` beside it may name the objects directory), or another checkout (its
 * `.pvr/json` is replaced under its lock and objects go to its store; its working tree is not
 * touched). Anything else is refused rather than written into. `json` is written last.
 *
 * Remembered repository: on success `DefaultPutUrl` becomes the target (absolute path) and
 * `DefaultGetUrl` too when empty; `DefaultPostUrl` is never touched (the Go tool's
 * saveWithError sets it by mistake, bug 17.2 item 5).
 */
import { mkdirSync, readdirSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { fromSystemError, PvrError } from "../errors";
import { writeFileDurable } from "../fsutil/durable";
import { ObjectStore } from "../objects/store";
import { RepoLock } from "../repo/lock";
import type { Repo } from "../repo/repo";
import { canonicalize } from "../state/canonical";
import { resolveRef } from "./ref";
import { type RepoLayout, repoLayout } from "./source";
import { transferObjects, type TransferResult } from "./transfer";

export interface PutOptions {
  force?: boolean;
  log?: (line: string) => void;
}

export interface PutResult extends TransferResult {
  layout: RepoLayout;
  remembered: string;
}

/** The ref `put` uses when none is given. */
export function defaultPutRef(repo: Repo): string {
  const ref = repo.config.DefaultPutUrl;
  if (ref === "") throw PvrError.usage("no target given and none remembered (DefaultPutUrl in .pvr/config is empty); run 'pvr put TARGET' once");
  return ref;
}

function prepareTarget(path: string): RepoLayout {
  let st;
  try {
    st = statSync(path);
  } catch {
    try {
      mkdirSync(path, { recursive: true, mode: 0o755 });
    } catch (err) {
      throw fromSystemError(err, `cannot create ${path}`);
    }
    return repoLayout(path);
  }
  if (!st.isDirectory()) throw PvrError.failed(`${path} is not a directory; pvr put writes a repository directory (use 'pvr export' for a tarball)`);
  const layout = repoLayout(path);
  if (layout.checkoutRoot) return layout;
  if (statSync(layout.jsonPath, { throwIfNoEntry: false })?.isFile()) return layout;
  if (readdirSync(path).length === 0) return layout;
  throw PvrError.failed(`refusing to put into ${path}: it is not empty and not a pvr repository (no json file and no .pvr/)`);
}

export function putLocal(repo: Repo, ref: string, cwd: string, opts: PutOptions = {}): PutResult {
  const resolved = resolveRef(ref, cwd, { mustExist: false });
  if (resolved.fragment !== "") throw PvrError.usage(`pvr put takes no #parts: ${ref}`);
  const state = repo.pristine();
  if (resolve(resolved.path) === repo.root || resolve(resolved.path) === repo.pvrDir) {
    throw PvrError.usage(`cannot put a repository into itself: ${resolved.path}`);
  }
  const layout = prepareTarget(resolved.path);
  let lock: RepoLock | undefined;
  if (layout.checkoutRoot) lock = RepoLock.acquire(layout.repoDir, "put (target)");
  try {
    const res = transferObjects(state, repo.objects.dir, new ObjectStore(layout.objectsDir), {
      label: "this checkout's object store",
      force: opts.force,
      log: opts.log && ((key, _sha, hit) => opts.log?.(`${key} [OK${hit ? " cache" : ""}]`)),
    });
    writeFileDurable(layout.jsonPath, canonicalize(state));
    repo.config.DefaultPutUrl = resolved.remembered;
    if (repo.config.DefaultGetUrl === "") repo.config.DefaultGetUrl = resolved.remembered;
    repo.saveConfig();
    return { ...res, layout, remembered: resolved.remembered };
  } finally {
    lock?.release();
  }
}
