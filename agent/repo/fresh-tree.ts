/**
 * A new working tree private to this process (a clone built aside and renamed into place when
 * complete), filled as objects arrive: each object is also written to its place while it
 * downloads, and kept only once it verified; checkoutState then writes whatever is left. Big
 * objects are written on Bun's I/O threads while the download's own thread receives, hashes and
 * stores them, and a limit on queued bytes holds the download back when the disk is slower;
 * small ones are written whole when they verify. Writing early is only a shortcut: a key that
 * cannot be written now is left to checkoutState.
 */
import { closeSync, openSync, unlinkSync, write, writeSync } from "node:fs";
import { join } from "node:path";
import type { ObjectCopy } from "../objects/batch-writer";
import { keyProblem, SPEC_KEY } from "../state/model";
import { ensureParent } from "./checkout";

/** Objects up to this size are written whole, open to close, once they verified. */
const WHOLE = 1 << 20;
/** Queued bytes above which the download waits. */
const HIGH_WATER = 32 << 20;

export class FreshTree {
  /** key → sha of the files written and verified. */
  readonly written = new Map<string, string>();
  /** Directories known to be real directories inside the tree. */
  readonly checked = new Set<string>();
  private queued = 0;
  private pending = new Set<Promise<void>>();
  private waiters: (() => void)[] = [];

  constructor(readonly root: string) {}

  /** A copy target for object `sha` (of `size` bytes) at `key`, or undefined to leave it to checkoutState. */
  copyFor(key: string, sha: string, size: number): ObjectCopy | undefined {
    if (key.startsWith(SPEC_KEY) || keyProblem(key) || this.written.has(key)) return undefined;
    const target = join(this.root, key);
    try {
      ensureParent(this.root, key, this.checked);
    } catch {
      return undefined;
    }
    return size <= WHOLE ? this.wholeCopy(key, sha, target) : this.streamedCopy(key, sha, target);
  }

  /** Resolves once the queued writes are under the limit; undefined when they already are. */
  drained(): Promise<void> | undefined {
    if (this.queued < HIGH_WATER) return undefined;
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Waits for every queued write (call before checkoutState, and before removing the tree). */
  async settle(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }

  private track(p: Promise<void>, bytes: number): void {
    this.queued += bytes;
    const tracked = p.finally(() => {
      this.pending.delete(tracked);
      this.queued -= bytes;
      if (this.queued < HIGH_WATER / 2) for (const w of this.waiters.splice(0)) w();
    });
    this.pending.add(tracked);
  }

  private wholeCopy(key: string, sha: string, target: string): ObjectCopy {
    let bytes: Uint8Array | undefined;
    return {
      write: (b) => {
        bytes = bytes ? Buffer.concat([bytes, b]) : b;
      },
      done: () => {
        const data = bytes ?? new Uint8Array(0);
        let fd: number | undefined;
        try {
          fd = openSync(target, "wx", 0o644);
          for (let off = 0; off < data.length; ) off += writeSync(fd, data, off, data.length - off);
          closeSync(fd);
          this.written.set(key, sha);
        } catch {
          if (fd !== undefined) {
            try {
              closeSync(fd);
              unlinkSync(target);
            } catch {}
          }
        }
      },
      discard: () => {
        bytes = undefined;
      },
    };
  }

  private streamedCopy(key: string, sha: string, target: string): ObjectCopy | undefined {
    let fd: number;
    try {
      fd = openSync(target, "wx", 0o644);
    } catch {
      return undefined;
    }
    let pos = 0;
    let failed = false;
    let inFlight = 0;
    let closeWhenIdle: (() => void) | undefined;
    const landed = () => {
      if (--inFlight === 0) closeWhenIdle?.();
    };
    const finish = (keep: boolean) => {
      const p = new Promise<void>((resolve) => {
        closeWhenIdle = () => {
          closeSync(fd);
          if (keep && !failed) this.written.set(key, sha);
          else {
            try {
              unlinkSync(target);
            } catch {}
          }
          resolve();
        };
        if (inFlight === 0) closeWhenIdle();
      });
      this.track(p, 0);
    };
    return {
      write: (b) => {
        const at = pos;
        pos += b.length;
        inFlight++;
        const p = new Promise<void>((resolve) => {
          const step = (off: number) =>
            write(fd, b, off, b.length - off, at + off, (err, n) => {
              if (err || n <= 0) failed = true;
              else if (off + n < b.length) return step(off + n);
              resolve();
            });
          step(0);
        }).then(landed);
        this.track(p, b.length);
      },
      done: () => finish(true),
      discard: () => finish(false),
    };
  }
}

