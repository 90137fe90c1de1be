/**
 * Deploy, step 2: execute a DeployPlan. The deployment is built in a sibling temp dir
 * `DIR.tmp-…` and renamed into place; an existing DIR is renamed aside first and deleted after
 * the new one is in, so a crash leaves the old or the new deployment (possibly beside a temp
 * dir), never a half-built DIR. Objects are hard-linked from the store and made 0444 (as the Go
 * tool does; this also changes the pool file's mode), skipping the chmod for objects the caller
 * saw already 0444 (every one after the first deployment). Only when link() fails with EXDEV
 * (store on another filesystem) are objects copied, verified against their sha256, with a warning.
 * Files are written without an fsync each; the finished tree is made durable in one pass
 * (syncFiles) before it is renamed into place.
 */
import { chmodSync, closeSync, fsyncSync, linkSync, lstatSync, mkdirSync, openSync, renameSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fromSystemError, PvrError } from "../errors";
import { fsyncDir, writeAll } from "../fsutil/durable";
import { syncFiles } from "../fsutil/sync";
import { type ObjectStore, pumpHashing } from "../objects/store";
import { isObjectId } from "../state/model";
import type { DeployPlan } from "./plan";
import { StoreDir } from "./storedir";

export interface ApplyOptions {
  warn?: (message: string) => void;
  /**
   * True for objects the caller has just seen with mode 0444 in the store: their links already
   * have the deployment's mode, so the chmod is skipped. Without it every link is chmodded.
   */
  readOnly?: (sha: string) => boolean;
}

/** Writes a new file; it is made durable with the rest of the tree (syncFiles). */
function writeNew(path: string, data: Uint8Array, mode: number): void {
  const fd = openSync(path, "wx", mode);
  try {
    writeAll(fd, data);
  } finally {
    closeSync(fd);
  }
}


/** Copies an object while hashing it; a mismatch means the store is corrupt. */
function copyObject(src: string, dest: string, sha: string, mode: number): void {
  const inFd = openSync(src, "r");
  try {
    const outFd = openSync(dest, "wx", mode);
    try {
      const got = pumpHashing(inFd, outFd).sha;
      fsyncSync(outFd);
      if (got !== sha) throw PvrError.integrity(`object ${src} does not hash to its name; the object store is corrupt`);
    } finally {
      closeSync(outFd);
    }
  } finally {
    closeSync(inFd);
  }
}

/** `<dir>/<sha>` for a valid object id (what ObjectStore.path gives, without path.join's cost). */
export function objectPath(dir: string, sha: string): string {
  if (!isObjectId(sha)) throw PvrError.unsafe(`not an object id: ${JSON.stringify(sha)}`);
  return `${dir}/${sha}`;
}

function build(plan: DeployPlan, root: string, store: ObjectStore, warn: (m: string) => void, readOnly: (sha: string) => boolean): void {
  const storeDir = StoreDir.open(store.dir);
  try {
    buildIn(plan, root, store, storeDir, warn, readOnly);
  } finally {
    storeDir.close();
  }
}

function buildIn(plan: DeployPlan, root: string, store: ObjectStore, storeDir: StoreDir, warn: (m: string) => void, readOnly: (sha: string) => boolean): void {
  let copied = 0;
  const dirs = [root];
  const written: string[] = [];
  // plan paths are normalised relative paths (planDeploy checked every key), so a plain
  // concatenation is what join() would give, without its per-call cost in this hot loop
  for (const step of plan.steps) {
    const path = `${root}/${step.path}`;
    try {
      switch (step.kind) {
        case "mkdir":
          mkdirSync(path, { mode: 0o755 });
          dirs.push(path);
          break;
        case "write":
          writeNew(path, Buffer.from(step.text, "utf8"), 0o644);
          written.push(path);
          break;
        case "copy":
          copyObject(store.path(step.sha), path, step.sha, 0o644);
          break;
        case "link": {
          try {
            if (!storeDir.link(step.sha, path)) linkSync(objectPath(store.dir, step.sha), path);
            if (!readOnly(step.sha)) chmodSync(path, 0o444);
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== "EXDEV") throw err;
            copyObject(objectPath(store.dir, step.sha), path, step.sha, 0o444);
            copied++;
          }
          break;
        }
        case "bootlink":
          linkSync(join(root, step.target), path);
          break;
      }
    } catch (err) {
      throw fromSystemError(err, `cannot deploy ${step.path}`);
    }
  }
  if (copied) warn(`${store.dir} is on another filesystem than ${root}: ${copied} object(s) were copied instead of hard-linked`);
  // one syncfs(2) for the whole new tree (an fsync per directory costs a device flush each),
  // before it is renamed into place
  syncFiles(root, written, dirs);
}

function lstatOrNull(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

/** `DIR.<what>-<pid>-<random>`: beside DIR, so renames stay on one filesystem. */
function sibling(dir: string, what: string): string {
  return `${dir}.${what}-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
}

/** Builds the planned deployment and atomically puts it at `dir`. */
export function applyPlan(plan: DeployPlan, target: string, store: ObjectStore, opts: ApplyOptions = {}): void {
  const dir = resolve(target);
  const warn = opts.warn ?? (() => {});
  const readOnly = opts.readOnly ?? (() => false);
  const parent = dirname(dir);
  try {
    mkdirSync(parent, { recursive: true, mode: 0o755 });
  } catch (err) {
    throw fromSystemError(err, `cannot create ${parent}`);
  }
  const tmp = sibling(dir, "tmp");
  try {
    mkdirSync(tmp, { mode: 0o755 });
    build(plan, tmp, store, warn, readOnly);
    const st = lstatOrNull(dir);
    if (st) {
      if (st.isSymbolicLink()) throw PvrError.unsafe(`${dir} is a symbolic link; deploy to the directory it points at`);
      if (!st.isDirectory()) throw PvrError.failed(`${dir} exists and is not a directory`);
      const old = sibling(dir, "old");
      renameSync(dir, old);
      try {
        renameSync(tmp, dir);
      } catch (err) {
        renameSync(old, dir);
        throw err;
      }
      fsyncDir(parent);
      rmSync(old, { recursive: true, force: true });
    } else renameSync(tmp, dir);
    fsyncDir(parent);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw fromSystemError(err, `cannot deploy to ${dir}`);
  }
}
