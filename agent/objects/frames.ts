/**
 * The object batch stream, our extension of the pvr remote protocol (README, "Object batches"):
 * many objects in one HTTP body, each framed as a header line `<sha256 hex> <size>\n` followed by
 * exactly `<size>` bytes. Clones fetch with it and posts upload with it, so thousands of small
 * objects cost a few requests instead of two each. This module only frames and unframes bytes;
 * checking that an object's bytes match its sha is the reader's job (batch-writer.ts).
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";

/** Longest valid header: 64 hex digits, a space, up to 16 digits, the newline. */
const MAX_HEADER = 64 + 1 + 16;
/** Small objects are gathered into chunks of about this size before they are handed on. */
const CHUNK = 256 * 1024;

export const FRAMES_CONTENT_TYPE = "application/x-pvr-objects";

export class FrameError extends Error {}

export interface FrameHandler {
  begin(sha: string, size: number): void;
  /** A piece of the current object's bytes (a view into the chunk: copy it to keep it). */
  data(bytes: Uint8Array): void;
  end(): void;
}

/** Cuts a stream of chunks into objects; throws FrameError on a malformed header. */
export class FrameDecoder {
  private head = "";
  /** Bytes still to come of the current object; -1 while reading a header. */
  private left = -1;

  constructor(private readonly handler: FrameHandler) {}

  push(chunk: Uint8Array): void {
    let off = 0;
    while (off < chunk.length) {
      if (this.left < 0) {
        const nl = chunk.indexOf(10, off);
        const end = nl < 0 ? chunk.length : nl;
        this.head += Buffer.from(chunk.buffer, chunk.byteOffset + off, end - off).toString("latin1");
        if (this.head.length > MAX_HEADER) throw new FrameError(`malformed object header ${JSON.stringify(this.head.slice(0, 90))}`);
        if (nl < 0) return;
        off = nl + 1;
        const m = /^([0-9a-f]{64}) (\d{1,16})$/.exec(this.head);
        if (!m) throw new FrameError(`malformed object header ${JSON.stringify(this.head)}`);
        this.head = "";
        this.left = Number(m[2]);
        this.handler.begin(m[1] as string, this.left);
      } else {
        const n = Math.min(this.left, chunk.length - off);
        this.handler.data(chunk.subarray(off, off + n));
        off += n;
        this.left -= n;
      }
      if (this.left === 0) {
        this.left = -1;
        this.handler.end();
      }
    }
  }

  /** True when the stream so far ends exactly after an object. */
  get atBoundary(): boolean {
    return this.left < 0 && this.head === "";
  }
}

export interface FrameSource {
  sha: string;
  path: string;
}

/**
 * Frames the files in `items` (each read at its size when opened) into chunks of about 256 KiB.
 * `sent(index)` is called once an object is completely framed. A file that shrinks while it is
 * read throws, which ends the stream early: the reader sees a truncated object, never a wrong one.
 */
export async function* encodeFrames(items: FrameSource[], sent?: (index: number, size: number) => void): AsyncGenerator<Uint8Array> {
  let buf = Buffer.allocUnsafe(CHUNK);
  let used = 0;
  for (let i = 0; i < items.length; i++) {
    const { sha, path } = items[i] as FrameSource;
    const fd = openSync(path, "r");
    try {
      const size = fstatSync(fd).size;
      const head = `${sha} ${size}\n`;
      if (used > 0 && used + head.length + size > buf.length) {
        yield buf.subarray(0, used);
        buf = Buffer.allocUnsafe(CHUNK);
        used = 0;
      }
      used += buf.write(head, used, "latin1");
      for (let pos = 0; pos < size; ) {
        if (used === buf.length) {
          yield buf;
          buf = Buffer.allocUnsafe(CHUNK);
          used = 0;
        }
        const n = readSync(fd, buf, used, Math.min(size - pos, buf.length - used), pos);
        if (n <= 0) throw new FrameError(`${path} shrank to ${pos} bytes while it was being sent`);
        used += n;
        pos += n;
      }
      sent?.(i, size);
    } finally {
      closeSync(fd);
    }
  }
  if (used > 0) yield buf.subarray(0, used);
}

/** A ReadableStream over an async generator, pulled one chunk at a time. */
export function streamOf(gen: AsyncGenerator<Uint8Array>): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>(
    {
      async pull(ctrl) {
        const { done, value } = await gen.next();
        if (done) ctrl.close();
        else ctrl.enqueue(value);
      },
      async cancel() {
        await gen.return(undefined);
      },
    },
    { highWaterMark: 0 },
  );
}
