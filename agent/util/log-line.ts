/**
 * Writing the agent's log lines to a file descriptor directly. process.stderr builds Node's
 * stream machinery on first use, which kept 2.2-2.5 MiB more of an idle agent resident (its
 * target is 45 MiB); a line is small and the agent writes a few per request, so a synchronous
 * write is all it needs. A line that cannot be written (stderr closed) is dropped, not fatal.
 */
import { writeSync } from "node:fs";

/** Writes all of `text` to `fd`, waiting out EAGAIN on a non-blocking descriptor. */
export function writeLine(fd: number, text: string): void {
  const bytes = Buffer.from(text);
  for (let off = 0, waits = 0; off < bytes.length; ) {
    try {
      off += writeSync(fd, bytes, off);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EAGAIN" || ++waits > 1000) return;
      Bun.sleepSync(1);
    }
  }
}
