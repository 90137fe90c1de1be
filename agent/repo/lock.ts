/**
 * The repository lock: `.pvr/lock`, created with O_EXCL by every command that writes the
 * repository. A second writer fails at once with an error naming the holder; a lock left by a
 * process that died on this host is taken over.
 */
import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { fromSystemError, PvrError } from "../errors";
import { processAlive } from "../objects/store";

interface Holder {
  pid: number;
  host: string;
  command: string;
  since: string;
}

function readHolder(path: string): Holder | null {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as Holder;
  } catch {
    return null;
  }
}

/**
 * Removes a dead holder's lock. Two processes may find the same stale lock at once, so it is
 * renamed aside (atomic, only one rename wins) and checked to be the dead holder's before it is
 * deleted; a live lock renamed by mistake is put back.
 */
function takeOver(path: string, dead: Holder): boolean {
  const aside = `${path}.stale-${process.pid}`;
  try {
    renameSync(path, aside);
  } catch {
    return true; // someone else moved it: just try again
  }
  const got = readHolder(aside);
  if (got && got.pid === dead.pid && got.since === dead.since) {
    unlinkSync(aside);
    return true;
  }
  try {
    linkSync(aside, path);
  } catch {}
  unlinkSync(aside);
  return false;
}

export class RepoLock {
  private released = false;
  private constructor(readonly path: string) {}

  static acquire(pvrDir: string, command: string): RepoLock {
    const path = join(pvrDir, "lock");
    const me: Holder = { pid: process.pid, host: hostname(), command, since: new Date().toISOString() };
    for (let attempt = 0; attempt < 2; attempt++) {
      // the lock appears with its content or not at all: write a temp file, then link() it
      // into place (fails with EEXIST when held), so a reader never sees an empty lock
      const tmp = `${path}.${process.pid}.${attempt}`;
      try {
        writeFileSync(tmp, JSON.stringify(me), { mode: 0o644 });
        linkSync(tmp, path);
        const lock = new RepoLock(path);
        process.once("exit", () => lock.release());
        return lock;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw fromSystemError(err, `cannot create ${path}`);
      } finally {
        try {
          unlinkSync(tmp);
        } catch {}
      }
      const holder = readHolder(path);
      if (holder && holder.host === me.host && !processAlive(holder.pid) && takeOver(path, holder)) continue;
      const who = holder ? `pid ${holder.pid} (pvr ${holder.command}) on ${holder.host} since ${holder.since}` : "another process";
      throw PvrError.locked(`repository is locked by ${who}; wait for it to finish, or remove ${path} if that process is gone`);
    }
    throw PvrError.locked(`repository lock ${path} keeps changing hands; try again`);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    try {
      unlinkSync(this.path);
    } catch {}
  }
}
