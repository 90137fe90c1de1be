/**
 * The client side of object batches (README, "Object batches"), used when a remote's .pvrremote
 * has `objects-batch-endpoint` (pvr agents do; the Go tool and Pantacor Hub do not, and then
 * every object goes through R3-R6 as before). Objects are split into groups that run `jobs` at
 * a time, one request per group: `POST …/fetch` streams a group's objects into the store (a
 * group of one is the object's own `GET …/blob`, which the agent answers with sendfile; when
 * every group is one object, the big ones are received on worker threads, blob-workers.ts),
 * `PUT …/store` streams a group's objects to the remote, and `POST …/missing` asks which of a
 * list the remote lacks. A group that fails is reported back so the caller can move its objects
 * one at a time with the per-object protocol, which resumes and retries.
 */
import { rmSync } from "node:fs";
import { PvrError } from "../../errors";
import { BackgroundSync } from "../../fsutil/background-sync";
import { fsyncDir } from "../../fsutil/durable";
import { BatchWriter, installAll, installTemps, type ObjectCopy, type VerifiedTemps } from "../../objects/batch-writer";
import { encodeFrames, FRAMES_CONTENT_TYPE, FrameDecoder, FrameError, streamOf } from "../../objects/frames";
import type { ObjectStore } from "../../objects/store";
import { isJsonObject } from "../../state/json";
import { BlobWorkers, type CopyFile } from "./blob-workers";
import { type HttpClient, readJsonBody, statusError } from "./client";
import { type ObjectItem, runPool, type TransferEvents } from "./pool";
import { withStallTimer } from "./retry";
import type { Remote } from "./remote";
import { absoluteUrl } from "./url";

/** Most objects in one group, and most bytes (when sizes are known up front). */
const GROUP_OBJECTS = 1000;
const GROUP_BYTES = 64 << 20;
/** Most ids in one `missing` question. */
const ASK_IDS = 10_000;

/** The remote's batch endpoint, or "" when it has none. */
export function batchEndpoint(remote: Remote): string {
  const v = remote.info.raw["objects-batch-endpoint"];
  if (typeof v !== "string" || v === "") return "";
  try {
    return absoluteUrl(v, remote.url).replace(/\/+$/, "");
  } catch {
    return "";
  }
}

/**
 * Splits `items` into groups of at most GROUP_OBJECTS objects and GROUP_BYTES known bytes, and
 * into at least `2 * jobs` groups when there are enough objects, so the parallel requests stay busy.
 */
export function groupItems<T extends ObjectItem>(items: T[], jobs: number): T[][] {
  const per = Math.max(1, Math.min(GROUP_OBJECTS, Math.ceil(items.length / (2 * jobs))));
  const groups: T[][] = [];
  let cur: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = item.size ?? 0;
    if (cur.length > 0 && (cur.length >= per || bytes + size > GROUP_BYTES)) {
      groups.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(item);
    bytes += size;
  }
  if (cur.length) groups.push(cur);
  return groups;
}

/** Streams one group into verified temps of `writer`'s store (installed by the caller). */
async function fetchGroup(remote: Remote, url: string, group: ObjectItem[], writers: VerifiedTemps[], store: ObjectStore, events: TransferEvents, copyTo?: CopyTo, blobs?: BlobWorkers): Promise<void> {
  const single = group.length === 1 ? (group[0] as ObjectItem) : undefined;
  if (single && blobs) {
    const taken = await blobs.fetch(remote, single, store, events, copyTo);
    if (taken) {
      writers.push(taken);
      if (taken.error) throw taken.error;
      return;
    }
  }
  let next = 0;
  let cur: ObjectItem | undefined;
  const writer = new BatchWriter(store, {
    accept(sha, size) {
      cur = group[next++];
      if (cur?.sha !== sha) throw new FrameError(`the remote sent object ${sha} where ${cur?.sha ?? "the end"} was expected`);
      cur.size = size;
      events.start?.(cur, size);
    },
    onBytes: (_sha, n) => events.bytes?.(cur as ObjectItem, n),
    copyTo: copyTo && ((_sha, size) => copyTo.copyFor(cur as ObjectItem, size)),
    onVerified: () => events.done?.(cur as ObjectItem, "OK"),
  });
  writers.push(writer);
  const decoder = new FrameDecoder(writer);
  await receiveGroup(remote.http, remote.info.objectsEndpoint, url, group, decoder, () => copyTo?.drained());
  if (next !== group.length) throw PvrError.failed(`${url}: the stream ended after ${next} of ${group.length} object(s)`);
}

/**
 * Streams a group's objects into `decoder`: a group of one is asked for as the object itself
 * (the blob route, which the agent sends straight from the file), a bigger one with a POST of
 * its ids. `afterChunk` may return a promise the stream waits for (the caller's disk).
 */
export async function receiveGroup(http: HttpClient, objectsEndpoint: string, url: string, group: ObjectItem[], decoder: FrameDecoder, afterChunk?: () => Promise<void> | undefined): Promise<void> {
  const single = group.length === 1 ? (group[0] as ObjectItem) : undefined;
  await withStallTimer(http.idleTimeoutMs, async (signal, alive) => {
    const at = single ? `${objectsEndpoint}/${single.sha}/blob` : url;
    const body = single ? undefined : JSON.stringify({ objects: group.map((i) => i.sha) });
    const res = single
      ? await http.getBulk(at, { auth: true, headers: { "Accept-Encoding": "identity" }, signal })
      : await http.fetchOnce("POST", at, { auth: true, headers: { "Content-Type": "application/json", Accept: FRAMES_CONTENT_TYPE }, body: () => body, signal });
    if (res.status !== 200) throw await statusError(single ? "GET" : "POST", at, res);
    if (single) {
      const length = res.headers.get("content-length") ?? "";
      if (!/^\d{1,16}$/.test(length)) throw PvrError.failed(`GET ${at}: no Content-Length`);
      decoder.push(Buffer.from(`${single.sha} ${length}\n`));
    }
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      alive();
      decoder.push(chunk);
      const wait = afterChunk?.();
      if (wait) {
        await wait;
        alive(); // waiting for our own disk is not a stalled remote
      }
    }
  });
  if (!decoder.atBoundary) throw PvrError.failed(`${url}: the stream ended inside an object`);
}

/** Where else arriving objects are written (clone's new working tree). */
export interface CopyTo {
  copyFor(item: ObjectItem, size: number): ObjectCopy | undefined;
  /** A new file for the object, opened here and written by a blob worker (blob-workers.ts). */
  fileFor?(item: ObjectItem): CopyFile | undefined;
  /** A promise while the copies' queued writes are over their limit: the download waits for it. */
  drained(): Promise<void> | undefined;
}

export interface BatchFailure {
  items: ObjectItem[];
  error: unknown;
}

/** Objects from which a download flushes each finished group in the background. */
const BACKGROUND_SYNC_MIN = 500;

/**
 * Downloads `items` in groups; returns the groups that failed (what they verified before
 * failing is installed too). A few objects are installed with one flush at the end; with many,
 * each group that ends is flushed on a worker thread (syncfs) while the others still arrive, and
 * renamed in there once that flush is done, so little is left to wait for at the end.
 */
export async function downloadInGroups(remote: Remote, items: ObjectItem[], store: ObjectStore, jobs: number, events: TransferEvents, copyTo?: CopyTo): Promise<BatchFailure[]> {
  const url = `${batchEndpoint(remote)}/fetch`;
  const groups = groupItems(items, jobs).map((g, i) => ({ sha: String(i), key: "", g }));
  const background = items.length >= BACKGROUND_SYNC_MIN && groups.length > 1 ? new BackgroundSync(store.tmpDir) : undefined;
  // a few objects, each its own group: each transfer on a thread of its own
  const threads = groups.length === items.length && items.length > 1 ? BlobWorkers.threadsFor(jobs) : 0;
  const blobs = threads > 0 ? new BlobWorkers(threads) : undefined;
  const atEnd: VerifiedTemps[] = [];
  const installs: Promise<number>[] = [];
  try {
    const failures = await runPool(groups, jobs, async (x) => {
      const writers: VerifiedTemps[] = [];
      try {
        await fetchGroup(remote, url, x.g, writers, store, events, copyTo, blobs);
      } finally {
        if (!background) atEnd.push(...writers);
        else {
          const temps = writers.flatMap((w) => w.takeVerified());
          const renames = temps.map((t): [string, string] => [t.tmp, store.path(t.sha)]);
          installs.push(
            background.sync(renames).then(({ flushed, failed }) => {
              // a worker that could not flush renamed nothing: flush and rename here instead
              if (!flushed) return installTemps(store, temps, { syncDir: false });
              if (failed.length) {
                for (const t of temps) rmSync(t.tmp, { force: true });
                throw PvrError.failed(`cannot move downloaded objects into ${store.dir}: ${failed.join("; ")}`);
              }
              return temps.length;
            }),
          );
        }
      }
    });
    return failures.map((f) => ({ items: (f.item as (typeof groups)[number]).g, error: f.error }));
  } finally {
    const installed = await Promise.allSettled(installs);
    background?.close();
    blobs?.close();
    if (installs.length) fsyncDir(store.dir);
    installAll(store, atEnd);
    const failed = installed.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
  }
}

/** The ids of `shas` the remote does not have. */
export async function remoteMissing(remote: Remote, shas: string[]): Promise<Set<string>> {
  const url = `${batchEndpoint(remote)}/missing`;
  const out = new Set<string>();
  for (let i = 0; i < shas.length; i += ASK_IDS) {
    const body = JSON.stringify({ objects: shas.slice(i, i + ASK_IDS) });
    const res = await remote.http.expect("POST", url, [200], { auth: true, headers: { "Content-Type": "application/json", Accept: "application/json" }, body: () => body });
    const doc = await readJsonBody(res, `missing objects (${url})`);
    const list = isJsonObject(doc) ? doc.missing : undefined;
    if (!Array.isArray(list)) throw PvrError.badJson(`${url}: the answer has no "missing" list`);
    for (const v of list) if (typeof v === "string") out.add(v.toLowerCase());
  }
  return out;
}

/** Streams one group from `store` to the remote. */
async function storeGroup(remote: Remote, url: string, group: ObjectItem[], store: ObjectStore, events: TransferEvents): Promise<void> {
  await withStallTimer(remote.http.idleTimeoutMs, async (signal, alive) => {
    const sent = (i: number, size: number) => {
      alive();
      const item = group[i] as ObjectItem;
      events.start?.(item, size);
      events.bytes?.(item, size);
    };
    const frames = encodeFrames(group.map((i) => ({ sha: i.sha, path: store.path(i.sha) })), sent);
    const res = await remote.http.fetchOnce("PUT", url, { auth: true, headers: { "Content-Type": FRAMES_CONTENT_TYPE, Accept: "application/json" }, body: () => streamOf(frames), signal });
    if (res.status !== 200) throw await statusError("PUT", url, res);
    await res.body?.cancel().catch(() => {});
  });
}

/** Uploads `items` in groups; returns the groups that failed. */
export async function uploadInGroups(remote: Remote, items: ObjectItem[], store: ObjectStore, jobs: number, events: TransferEvents): Promise<BatchFailure[]> {
  const url = `${batchEndpoint(remote)}/store`;
  const groups = groupItems(items, jobs).map((g, i) => ({ sha: String(i), key: "", g }));
  const failures = await runPool(groups, jobs, async (x) => {
    await storeGroup(remote, url, x.g, store, events);
    for (const item of x.g) events.done?.(item, "OK");
  });
  return failures.map((f) => ({ items: (f.item as (typeof groups)[number]).g, error: f.error }));
}
