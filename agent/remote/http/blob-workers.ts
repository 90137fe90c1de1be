/**
 * Downloading the big objects of a small group list on worker threads (blob-worker.ts), one
 * object per request: receiving, hashing and writing a big object is more than one thread can keep up
 * with at loopback and LAN speeds (a clone of 1 GiB in 8 objects spent 80 % of its time on the
 * thread that did all three), so each transfer runs on its own thread when there are CPUs for
 * it. The new tree's copy goes to a file opened here. A worker that cannot start or dies leaves
 * the object to the caller, which receives it on its own thread.
 */
import { availableParallelism } from "node:os";
import { PvrError, type ErrorCode } from "../../errors";
import type { VerifiedTemps } from "../../objects/batch-writer";
import type { ObjectStore } from "../../objects/store";
import { WorkerRequests } from "../../util/worker";
import type { BlobAnswer, BlobNote, BlobRequest } from "./blob-worker";
import type { ObjectItem, TransferEvents } from "./pool";
import type { Remote } from "./remote";

/** A new file in the clone's tree for one object, written by a worker. */
export interface CopyFile {
  fd: number;
  /** The object verified and the file holds all of it. */
  keep(): void;
  /** Remove the file (the object failed, or the copy could not be written). */
  discard(): void;
}

/** What a worker brought: its verified temps (for the caller to install), and its error if any. */
export interface BlobTaken extends VerifiedTemps {
  error?: PvrError;
}

/** Objects smaller than this are received on the caller's thread. */
const WORKER_MIN = 4 << 20;

/** The object's size from a HEAD of its blob, or 0 when the remote does not say. */
async function sizeOf(remote: Remote, item: ObjectItem): Promise<number> {
  try {
    const res = await remote.http.fetchOnce("HEAD", `${remote.info.objectsEndpoint}/${item.sha}/blob`, { auth: true });
    const length = res.headers.get("content-length") ?? "";
    return res.status === 200 && /^\d{1,16}$/.test(length) ? Number(length) : 0;
  } catch {
    return 0;
  }
}

export class BlobWorkers {
  private readonly workers: WorkerRequests<BlobRequest, BlobAnswer>[];

  /** `threads` workers, started at their first object. */
  constructor(threads: number) {
    this.workers = Array.from({ length: threads }, () => new WorkerRequests<BlobRequest, BlobAnswer>("agent/remote/http/blob-worker.ts", new URL("./blob-worker.ts", import.meta.url)));
  }

  /** Workers worth starting for `jobs` parallel transfers: one per transfer, at most one per CPU; 0 on one CPU. */
  static threadsFor(jobs: number): number {
    const cpus = availableParallelism();
    return cpus < 2 ? 0 : Math.min(jobs, cpus);
  }

  /**
   * Downloads `item` on the least busy worker when it is big enough to be worth a thread (a HEAD
   * asks its size; starting a worker costs about 10 ms); undefined when it is left to the caller.
   */
  async fetch(remote: Remote, item: ObjectItem, store: ObjectStore, events: TransferEvents, copyTo?: { fileFor?(item: ObjectItem): CopyFile | undefined }): Promise<BlobTaken | undefined> {
    if ((await sizeOf(remote, item)) < WORKER_MIN) return undefined;
    const worker = this.workers.reduce((a, b) => (b.open < a.open ? b : a));
    const file = copyTo?.fileFor?.(item);
    const { token, insecure, proxy, userAgent } = remote.http.opts;
    const request: BlobRequest = {
      sha: item.sha,
      objectsEndpoint: remote.info.objectsEndpoint,
      storeDir: store.dir,
      http: { token, insecure, proxy, userAgent, idleTimeoutMs: remote.http.idleTimeoutMs, retry: remote.http.retry },
      copyFd: file?.fd,
    };
    let reported = 0;
    const answer = await worker.request(request, [], (n) => {
      const note = n as BlobNote;
      if (note.start !== undefined) {
        item.size = note.start;
        events.start?.(item, note.start);
      }
      if (note.bytes) {
        reported += note.bytes;
        events.bytes?.(item, note.bytes);
      }
    });
    // an object that did not arrive here is brought again from its first byte: take back its progress
    if ((!answer || answer.error) && reported) events.bytes?.(item, -reported);
    if (!answer) {
      file?.discard();
      return undefined;
    }
    const verified = answer.verified;
    if (answer.error) {
      file?.discard();
      return { takeVerified: () => verified.splice(0), error: new PvrError(answer.error.code as ErrorCode, answer.error.message) };
    }
    if (answer.copied) file?.keep();
    else file?.discard();
    remote.http.opts.debug?.(`object ${item.sha} received on a worker thread`);
    events.done?.(item, "OK");
    return { takeVerified: () => verified.splice(0) };
  }

  close(): void {
    for (const w of this.workers) w.close();
  }
}
