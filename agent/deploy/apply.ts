/**
 * Deploy, step 2: execute a DeployPlan. The deployment is built in a sibling temp dir
 * `DIR.tmp-…` and renamed into place; an existing DIR is renamed aside first and deleted after
 * the new one is in, so a crash leaves the old or the new deployment (possibly beside a temp
 * dir), never a half-built DIR. Objects are hard-linked from the store and made 0444 (as the Go
 * tool does; this also changes the pool file's mode). Only when link() fails with EXDEV (store
 * on another filesystem) are objects copied, verified against their sha256, with a warning.
 */
import { chmodSync, closeSync, fsyncSync, linkSync, lstatSync, mkdirSync, openSync, readSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fromSystemError, PvrError } from "../errors";
import { fsyncDir } from "../fsutil/durable";
import type { ObjectStore } from "../objects/store";
import type { DeployPlan } from "./plan";

export interface ApplyOptions {
  warn?: (message: string) => void;
}

const BUF = Buffer.allocUnsafe(1 << 20);

function writeNew(path: string, data: Uint8Array, mode: number): number {
  const fd = openSync(path, "wx", mode);
  try {
    let off = 0;
    while (off < data.length) off += writeSync(fd, data, off, data.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return data.length;
}

/** Copies an object while hashing it; a mismatch means the store is corrupt. */
function copyObject(src: string, dest: string, sha: string, mode: number): void {
  const inFd = openSync(src, "r");
  try {
    const outFd = openSync(dest, "wx", mode);
    try {
      const hasher = new Bun.CryptoHasher("sha256");
      for (;;) {
        const n = readSync(inFd, BUF, 0, BUF.length, null);
        if (n <= 0) break;
        hasher.update(BUF.subarray(0, n));
        let off = 0;
        while (off < n) off += writeSync(outFd, BUF, off, n - off);
      }
      fsyncSync(outFd);
      if (hasher.digest("hex") !== sha) throw PvrError.integrity(`object ${src} does not hash to its name; the object store is corrupt`);
    } finally {
      closeSync(outFd);
    }
  } finally {
    closeSync(inFd);
  }
}

function build(plan: DeployPlan, root: string, store: ObjectStore, warn: (m: string) => void): void {
  let copied = 0;
  const dirs = [root];
  for (const step of plan.steps) {
    const path = join(root, step.path);
    try {
      switch (step.kind) {
        case "mkdir":
          mkdirSync(path, { mode: 0o755 });
          dirs.push(path);
          break;
        case "write":
          writeNew(path, Buffer.from(step.text, "utf8"), 0o644);
          break;
        case "copy":
          copyObject(store.path(step.sha), path, step.sha, 0o644);
          break;
        case "link":
          try {
            linkSync(store.path(step.sha), path);
            chmodSync(path, 0o444);
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== "EXDEV") throw err;
            copyObject(store.path(step.sha), path, step.sha, 0o444);
            copied++;
          }
          break;
        case "bootlink":
          linkSync(join(root, step.target), path);
          break;
      }
    } catch (err) {
      throw fromSystemError(err, `cannot deploy ${step.path}`);
    }
  }
  if (copied) warn(`${store.dir} is on another filesystem than ${root}: ${copied} object(s) were copied instead of hard-linked`);
  for (const d of dirs) fsyncDir(d);
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
  const parent = dirname(dir);
  try {
    mkdirSync(parent, { recursive: true, mode: 0o755 });
  } catch (err) {
    throw fromSystemError(err, `cannot create ${parent}`);
  }
  const tmp = sibling(dir, "tmp");
  try {
    mkdirSync(tmp, { mode: 0o755 });
    build(plan, tmp, store, warn);
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
