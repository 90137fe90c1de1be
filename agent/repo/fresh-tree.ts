/**
 * A new working tree private to this process (a clone built aside and renamed into place when
 * complete), filled as objects arrive: each object is also written to its place while it
 * downloads, and kept only once it verified; checkoutState then writes whatever is left. Big
 * objects are written on Bun's I/O threads while the download's own thread receives, hashes and
 * stores them, and a limit on queued bytes holds the download back when the disk is slower;
 * small ones are written whole when they verify. Writing early is only a shortcut: a key that
 * cannot be written now is left to checkoutState.
 */
import { closeSync, openSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import { QueuedFile, WriteBudget } from "../fsutil/queued-file";
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
  private readonly budget = new WriteBudget(HIGH_WATER);
  private readonly pending = new Set<Promise<void>>();

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

  /** A promise while the queued writes are over the limit (the download waits for it). */
  drained(): Promise<void> | undefined {
    return this.budget.drained();
  }

  /** Waits for every queued write (call before checkoutState, and before removing the tree). */
  async settle(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }

  private track(p: Promise<void>): void {
    const tracked = p.finally(() => this.pending.delete(tracked));
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
    let file: QueuedFile;
    try {
      file = new QueuedFile(openSync(target, "wx", 0o644), this.budget);
    } catch {
      return undefined;
    }
    const finish = (keep: boolean) => {
      const landed = file.finish().then(
        () => keep,
        () => false,
      );
      this.track(
        landed.then((ok) => {
          closeSync(file.fd);
          if (ok) this.written.set(key, sha);
          else {
            try {
              unlinkSync(target);
            } catch {}
          }
        }),
      );
    };
    return {
      write: (b) => file.write(b),
      done: () => finish(true),
      discard: () => finish(false),
    };
  }
}

