/**
 * Writing a file on Bun's I/O threads while the calling thread goes on (receiving, hashing):
 * each chunk is queued as a positioned write, and a byte budget shared by several files tells a
 * producer when to wait for the disk. Used for the copies of big objects in a new clone
 * (repo/fresh-tree.ts). No writeback is started here: a working tree is not made durable (its
 * objects in the store are), and starting it early made a 1 GiB clone write 2 GiB to the disk
 * while it ran instead of 1 (2.7 s -> 2.4 s here). Not for
 * objects an agent receives: there a synchronous write is what stops the agent reading an
 * upload faster than its disk takes it (Bun buffers a request body it is not reading).
 */
import { write } from "node:fs";

/** Bytes queued but not yet written, across files; producers wait on drained(). */
export class WriteBudget {
  private queued = 0;
  private waiters: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  add(n: number): void {
    this.queued += n;
  }

  done(n: number): void {
    this.queued -= n;
    if (this.queued <= this.limit / 2) for (const w of this.waiters.splice(0)) w();
  }

  /** A promise while over the limit (wait for it before queueing more); else undefined. */
  drained(): Promise<void> | undefined {
    if (this.queued < this.limit) return undefined;
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

export class QueuedFile {
  private pos = 0;
  private inFlight = 0;
  private error: NodeJS.ErrnoException | undefined;
  private idle: (() => void) | undefined;

  constructor(
    readonly fd: number,
    private readonly budget: WriteBudget,
  ) {}

  /** Queues `bytes` after what was queued before; the buffer must not change until it landed. */
  write(bytes: Uint8Array): void {
    if (this.error || bytes.length === 0) return;
    const at = this.pos;
    this.pos += bytes.length;
    this.inFlight++;
    this.budget.add(bytes.length);
    const step = (off: number) =>
      write(this.fd, bytes, off, bytes.length - off, at + off, (err, n) => {
        if (!err && n > 0 && off + n < bytes.length) return step(off + n);
        if (err || n <= 0) this.error ??= err ?? Object.assign(new Error("short write"), { code: "EIO" });
        this.budget.done(bytes.length);
        if (--this.inFlight === 0) this.idle?.();
      });
    step(0);
  }

  /** Resolves when every queued write landed; rejects with the first error. */
  async finish(): Promise<void> {
    if (this.inFlight > 0) await new Promise<void>((resolve) => (this.idle = resolve));
    if (this.error) throw this.error;
  }
}
