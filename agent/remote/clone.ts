/**
 * `pvr clone REPO[#parts] [DIR]` (spec pvr-format 7.5): init + get + checkout in a temporary
 * directory `pvr-clone-*` beside the target, renamed into place only when everything succeeded.
 * The temporary directory is removed on failure and on SIGINT/SIGTERM.
 *
 * The default directory name is the source's last path element, with a trailing `.pvr` element
 * skipped (`clone /x/repo/.pvr` gives `repo`) and a tarball extension dropped (`clone a.tgz`
 * gives `a`); the Go tool would use `.pvr` and `a.tgz`. An existing empty target directory is
 * replaced; a non-empty one is refused before any work is done. For a device (`clone 10.0.0.5`,
 * or a URL whose path is /cgi-bin/pvr) the name is the host, so both spellings agree; for other
 * URLs it is the last path element (`nick/dev` gives `dev`), as in the Go tool.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmdirSync, rmSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fromSystemError, PvrError } from "../errors";
import { checkoutState } from "../repo/checkout";
import { FreshTree } from "../repo/fresh-tree";
import { initRepo } from "../repo/init";
import { Repo } from "../repo/repo";
import { type GetOptions, getRepo } from "./get";
import { cloneNameForUrl } from "./http/url";
import { resolveAnyRef } from "./ref";

export interface CloneOptions {
  ref: string;
  cwd: string;
  dir?: string;
  objectsDir: string;
  spec: string;
  canonical?: boolean;
  /** HTTP remotes: client, parallel downloads, progress, --repo-baseurl. */
  remote?: Pick<GetOptions, "http" | "jobs" | "events" | "repoBaseUrl">;
}

export interface CloneResult {
  target: string;
  copied: number;
}

/** The directory name `clone` picks for a source path. */
export function cloneDirName(sourcePath: string): string {
  let p = sourcePath.replace(/\/+$/, "");
  if (basename(p) === ".pvr") p = dirname(p);
  const name = basename(p).replace(/\.(tar\.gz|tgz|tar)$/i, "");
  if (name === "" || name === "." || name === "..") {
    throw PvrError.usage(`cannot derive a directory name from ${sourcePath}; give one: pvr clone REPO DIR`);
  }
  return name;
}

function checkTarget(target: string): boolean {
  if (!existsSync(target)) return false;
  if (!statSync(target).isDirectory() || readdirSync(target).length > 0) {
    throw PvrError.failed(`destination ${target} already exists and is not an empty directory`);
  }
  return true;
}

export async function cloneRepo(opts: CloneOptions): Promise<CloneResult> {
  const resolved = resolveAnyRef(opts.ref, opts.cwd, { repoBaseUrl: opts.remote?.repoBaseUrl });
  const target = resolve(opts.cwd, opts.dir ?? (resolved.kind === "http" ? cloneNameForUrl(resolved.url) : cloneDirName(resolved.path)));
  const replaceEmpty = checkTarget(target);
  let tmp: string;
  try {
    mkdirSync(dirname(target), { recursive: true, mode: 0o755 });
    tmp = mkdtempSync(join(dirname(target), "pvr-clone-"));
    chmodSync(tmp, 0o777 & ~process.umask()); // mkdtemp makes it 0700; a clone is an ordinary directory
  } catch (err) {
    throw fromSystemError(err, `cannot create a directory beside ${target}`);
  }
  const cleanup = () => rmSync(tmp, { recursive: true, force: true });
  const onSignal = (sig: NodeJS.Signals) => {
    cleanup();
    process.exit(sig === "SIGINT" ? 130 : 143);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  // objects are written into the new tree as they arrive; checkoutState does the rest
  const fresh = new FreshTree(tmp);
  try {
    initRepo({ dir: tmp, objectsDir: opts.objectsDir, spec: opts.spec });
    const repo = new Repo(tmp);
    const copyTo = {
      copyFor: (item: { key: string; sha: string }, size: number) => fresh.copyFor(item.key, item.sha, size),
      fileFor: (item: { key: string; sha: string }) => fresh.fileFor(item.key, item.sha),
      drained: () => fresh.drained(),
    };
    const { copied } = await getRepo(repo, opts.ref, opts.cwd, { merge: false, ...opts.remote, copyTo });
    await fresh.settle();
    checkoutState(repo, repo.pristine(), { canonical: Boolean(opts.canonical), fresh });
    try {
      if (replaceEmpty) rmdirSync(target);
      renameSync(tmp, target);
    } catch (err) {
      throw fromSystemError(err, `cannot move the clone to ${target}`);
    }
    return { target, copied };
  } catch (err) {
    await fresh.settle(); // no write may land in the tree while it is being removed
    cleanup();
    throw err;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
