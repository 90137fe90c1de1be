/**
 * Worker thread for blob-workers.ts: brings one object from a pvr agent (its blob GET) and does
 * all a receiving thread does with it: hashes it, writes the store temp (verified, not
 * installed: the caller installs it with the others) and writes the new tree's copy to a file
 * the caller opened. Notes report the object's size once known and its bytes as they arrive.
 */
import { isNoSpace, PvrError } from "../../errors";
import { writeAll } from "../../fsutil/durable";
import { BatchWriter, type ObjectCopy } from "../../objects/batch-writer";
import { FrameDecoder, FrameError } from "../../objects/frames";
import { ObjectStore } from "../../objects/store";
import { receiveGroup } from "./batch";
import { HttpClient, type HttpOptions } from "./client";

declare const self: Worker;

export interface BlobRequest {
  sha: string;
  objectsEndpoint: string;
  storeDir: string;
  /** The client's settings that are plain data (no callbacks cross threads). */
  http: Pick<HttpOptions, "token" | "insecure" | "proxy" | "userAgent" | "idleTimeoutMs" | "retry">;
  /** The new tree's file for the object, opened by the caller. */
  copyFd?: number;
}

export interface BlobNote {
  start?: number;
  bytes?: number;
}

export interface BlobAnswer {
  verified: { sha: string; tmp: string }[];
  /** The copy was written whole. */
  copied: boolean;
  error?: { code: string; message: string };
}

/** Writes the copy at increasing offsets; a failed write is reported through discard. */
function fdCopy(fd: number, failed: () => void): ObjectCopy {
  let pos = 0;
  return {
    write(b) {
      writeAll(fd, b, pos);
      pos += b.length;
    },
    done() {},
    discard: failed,
  };
}

/** Progress is sent at most every this many ms. */
const NOTE_MS = 100;

self.onmessage = async (e: MessageEvent<BlobRequest & { id: number }>) => {
  const { id, ...req } = e.data;
  const note = (n: BlobNote) => self.postMessage({ id, note: n });
  let pending = 0;
  let last = performance.now();
  const flush = () => {
    if (pending) note({ bytes: pending });
    pending = 0;
    last = performance.now();
  };
  let copied = req.copyFd !== undefined;
  let writer: BatchWriter | undefined;
  let answer: BlobAnswer;
  try {
    writer = new BatchWriter(new ObjectStore(req.storeDir), {
      accept(sha, size) {
        if (sha !== req.sha) throw new FrameError(`the remote sent object ${sha} where ${req.sha} was expected`);
        note({ start: size });
      },
      onBytes(_sha, n) {
        pending += n;
        if (performance.now() - last >= NOTE_MS) flush();
      },
      copyTo: req.copyFd === undefined ? undefined : () => fdCopy(req.copyFd as number, () => (copied = false)),
    });
    const blobUrl = `${req.objectsEndpoint}/${req.sha}/blob`;
    await receiveGroup(new HttpClient(req.http), req.objectsEndpoint, blobUrl, [{ sha: req.sha, key: "" }], new FrameDecoder(writer));
    flush();
    const verified = writer.takeVerified();
    if (verified.length !== 1) throw PvrError.failed(`GET ${blobUrl}: the object did not arrive`);
    answer = { verified, copied };
  } catch (err) {
    flush();
    const code = err instanceof PvrError ? err.code : isNoSpace(err) ? "diskFull" : "failed";
    answer = { verified: writer?.takeVerified() ?? [], copied: false, error: { code, message: (err as Error)?.message ?? String(err) } };
  }
  self.postMessage({ id, ...answer });
};
