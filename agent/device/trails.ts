/**
 * Trail helpers shared by the backends: the `trails/current` symlink (relative, as Pantavisor
 * keeps it, device.md 1.2) switched atomically by renaming a fresh symlink over it, and the
 * per-trail `.pv/` files (progress, done, commitmsg) written durably.
 */
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, renameSync, symlinkSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { fromSystemError } from "../errors";
import { fsyncDir, tempPath, writeFileDurable } from "../fsutil/durable";
import type { Progress } from "./backend";
import { isRevisionName, trailDir } from "./revname";

export function readCurrent(storage: string): string | null {
  try {
    const target = readlinkSync(join(storage, "trails", "current"));
    return isRevisionName(target) ? target : null;
  } catch {
    return null;
  }
}

/** Points `trails/current` at `rev`: a new symlink beside it, renamed over the old one. */
export function switchCurrent(storage: string, rev: string): void {
  const trails = join(storage, "trails");
  const tmp = tempPath(trails, "current");
  try {
    symlinkSync(rev, tmp);
    renameSync(tmp, join(trails, "current"));
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {}
    throw fromSystemError(err, `cannot switch ${trails}/current to ${rev}`);
  }
  fsyncDir(trails);
}

export function hasTrail(storage: string, rev: string): boolean {
  return existsSync(join(trailDir(storage, rev), ".pvr", "json"));
}

function pvDir(storage: string, rev: string): string {
  const dir = join(trailDir(storage, rev), ".pv");
  try {
    if (!lstatSync(dir).isDirectory()) throw new Error(`${dir} is not a directory`);
  } catch {
    mkdirSync(dir, { recursive: true, mode: 0o755 });
  }
  return dir;
}

export function writeProgressFile(storage: string, rev: string, p: Progress): void {
  writeFileDurable(join(pvDir(storage, rev), "progress"), JSON.stringify(p));
}

export function readProgressFile(storage: string, rev: string): Progress | null {
  try {
    return JSON.parse(readFileSync(join(trailDir(storage, rev), ".pv", "progress"), "utf8")) as Progress;
  } catch {
    return null;
  }
}

export function markDone(storage: string, rev: string): void {
  writeFileDurable(join(pvDir(storage, rev), "done"), "");
}

export function writeCommitMsg(storage: string, rev: string, msg: string): void {
  writeFileDurable(join(pvDir(storage, rev), "commitmsg"), msg);
}

/** Pantavisor's progress objects (device.md 7.1, 7.2). */
export const PROGRESS = {
  ready: { status: "NEW", "status-msg": "Update ready to be run", progress: 0, retries: 0 },
  transitioning: { status: "INPROGRESS", "status-msg": "Transitioning to new revision without rebooting", progress: 50, retries: 0 },
  done: { status: "DONE", "status-msg": "Update finished, revision set as rollback point", progress: 100, retries: 0 },
  factory: { status: "DONE", "status-msg": "Factory revision", progress: 100, retries: 0 },
  rollback: { status: "ERROR", "status-msg": "Unexpected rollback", progress: 100, retries: 0 },
} satisfies Record<string, Progress>;
