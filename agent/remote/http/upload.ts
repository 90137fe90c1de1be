/**
 * Uploading a state's objects to a remote (spec pvr-format 8.5 R5/R6; device.md 3.2 d) for
 * `post` and `put`. Only objects whose sha is not in the remote's baseline state are offered,
 * each once. R5 `POST <objects-endpoint>/` with the Object JSON (Go struct order, size as a
 * string): `409` means the remote has it (skipped; with `force` re-uploaded from the 409 body's
 * signed-puturl unless it is a `link`), `200` gives the signed-puturl for R6: `PUT` streaming the
 * file from the store with its exact Content-Length (no body at all for zero bytes, which S3-style
 * URLs need). Local objects are checked first, so a missing one fails before anything is sent.
 * A pvr agent takes them in groups instead (batch.ts); `--force` keeps the per-object path.
 */
import { statSync } from "node:fs";
import { PvrError } from "../../errors";
import type { ObjectStore } from "../../objects/store";
import { goString } from "../../state/indent";
import { isJsonObject } from "../../state/json";
import type { State } from "../../state/model";
import { objectsByKey } from "../transfer";
import { readJsonBody, statusError } from "./client";
import { backoffDelay, isRetryableStatus, networkReason, withStallTimer } from "./retry";
import { sleep } from "../../util/sleep";
import { type ObjectItem, runPool, type TransferEvents } from "./pool";
import type { Remote } from "./remote";
import { absoluteUrl } from "./url";
import { batchEndpoint, remoteMissing, uploadInGroups } from "./batch";

export interface UploadOptions {
  force?: boolean;
  jobs?: number;
  events?: TransferEvents;
}

export interface UploadResult {
  uploaded: number;
  /** Offered but already on the remote (409). */
  skipped: number;
  /** In the baseline, so not even offered. */
  inBaseline: number;
}

/** The R5 body, byte for byte as Go's encoding/json writes the Object struct. */
export function objectJson(key: string, sha: string, size: number): string {
  return `{"id":"","storage-id":"","owner":"","objectname":${goString(key)},"sha256sum":"${sha}","size":"${size}","mime-type":"application/octet-stream","signed-puturl":"","signed-geturl":"","now":"","expire-time":""}`;
}

/**
 * R6: PUT the object's bytes, counting them for progress. Each attempt re-opens the file; a
 * stall (no bytes taken, or no answer, for the idle timeout) aborts the attempt. Network errors
 * and transient statuses are retried as a whole, within the retry policy.
 */
async function putObject(remote: Remote, url: string, path: string, item: ObjectItem, events: TransferEvents): Promise<void> {
  const http = remote.http;
  const size = item.size ?? 0;
  let sent = 0;
  for (let attempt = 1; ; attempt++) {
    events.bytes?.(item, -sent);
    sent = 0;
    const reader = size > 0 ? Bun.file(path).stream().getReader() : undefined;
    let reason: string;
    try {
      // null: stored; otherwise the transient status to retry on
      const outcome = await withStallTimer(
        http.idleTimeoutMs,
        async (signal, alive) => {
          const body = reader && new ReadableStream<Uint8Array>({
            async pull(c) {
              alive();
              const { done, value } = await reader.read();
              if (done) return c.close();
              sent += value.length;
              events.bytes?.(item, value.length);
              c.enqueue(value);
            },
            cancel: () => reader.cancel(),
          });
          const res = await http.fetchOnce("PUT", url, {
            headers: { "Content-Length": String(size), "Content-Type": "application/octet-stream" },
            body: () => body,
            signal,
          });
          if (res.status === 200) {
            await res.body?.cancel().catch(() => {});
            return null;
          }
          if (!isRetryableStatus(res.status) || attempt >= http.retry.attempts) throw await statusError("PUT", url, res);
          await res.body?.cancel().catch(() => {});
          return `HTTP ${res.status}`;
        },
        "stalled for",
      );
      if (outcome === null) return;
      reason = outcome;
    } catch (err) {
      if (err instanceof PvrError) throw err;
      reason = networkReason(err);
      if (attempt >= http.retry.attempts) throw PvrError.failed(`PUT ${url} failed after ${attempt} attempt(s): ${reason}`);
    } finally {
      reader?.cancel().catch(() => {});
    }
    events.retry?.(item, `upload: ${reason}; retrying`);
    await sleep(backoffDelay(http.retry, attempt));
  }
}

async function offerObject(remote: Remote, store: ObjectStore, item: ObjectItem, opts: UploadOptions): Promise<"OK" | "skip" | "link"> {
  const events = opts.events ?? {};
  const at = `${remote.info.objectsEndpoint}/`;
  const res = await remote.http.send("POST", at, {
    auth: true,
    headers: { "Content-Type": "application/json; charset=utf-8", Accept: "application/json" },
    body: () => objectJson(item.key, item.sha, item.size ?? 0),
  });
  const type = res.headers.get("pantahub-object-type") === "link" ? "link" : "skip";
  if (res.status !== 200 && res.status !== 409) throw await statusError("POST", at, res);
  if (res.status === 409 && (!opts.force || type === "link")) {
    await res.body?.cancel().catch(() => {});
    return type;
  }
  const doc = await readJsonBody(res, `object upload answer (${at})`);
  const put = isJsonObject(doc) ? doc["signed-puturl"] : undefined;
  if (typeof put !== "string" || put === "") {
    if (res.status === 409) return type;
    throw PvrError.badJson(`POST ${at} answered 200 without a "signed-puturl" for ${item.key}`);
  }
  events.start?.(item, item.size);
  await putObject(remote, absoluteUrl(put, at), store.path(item.sha), item, events);
  return "OK";
}

/**
 * A pvr agent: one question for what it lacks, then groups of objects per request. Returns the
 * objects of failed groups that the remote still lacks, for the per-object path.
 */
async function uploadBatches(remote: Remote, items: ObjectItem[], store: ObjectStore, jobs: number, events: TransferEvents, result: UploadResult): Promise<ObjectItem[]> {
  const lacking = await remoteMissing(remote, items.map((i) => i.sha));
  const send: ObjectItem[] = [];
  for (const item of items) {
    if (lacking.has(item.sha)) send.push(item);
    else {
      result.skipped++;
      events.done?.(item, "skip");
    }
  }
  const failed = (await uploadInGroups(remote, send, store, jobs, events)).flatMap((f) => f.items);
  result.uploaded += send.length - failed.length;
  if (failed.length === 0) return [];
  const still = await remoteMissing(remote, failed.map((i) => i.sha));
  result.uploaded += failed.length - still.size;
  return failed.filter((i) => still.has(i.sha));
}

export async function uploadObjects(remote: Remote, state: State, store: ObjectStore, baseline: Set<string>, opts: UploadOptions = {}): Promise<UploadResult> {
  const events = opts.events ?? {};
  const items: ObjectItem[] = [];
  const missing: string[] = [];
  let inBaseline = 0;
  for (const [sha, key] of objectsByKey(state)) {
    if (baseline.has(sha)) {
      inBaseline++;
      continue;
    }
    const st = statSync(store.path(sha), { throwIfNoEntry: false });
    if (!st?.isFile()) missing.push(`object ${sha} (${key}) is not in ${store.dir}`);
    else items.push({ sha, key, size: st.size });
  }
  if (missing.length) throw PvrError.notFound(`${missing.length} object(s) of the committed state are missing locally; nothing was sent:\n  ${missing.join("\n  ")}`);
  events.plan?.(items.length, items.reduce((n, i) => n + (i.size ?? 0), 0));
  const result: UploadResult = { uploaded: 0, skipped: 0, inBaseline };
  const jobs = opts.jobs ?? 4;
  let single = items;
  if (batchEndpoint(remote) !== "" && !opts.force && items.length > 0) single = await uploadBatches(remote, items, store, jobs, events, result);
  const failures = await runPool(single, jobs, async (item) => {
    const status = await offerObject(remote, store, item, opts);
    if (status === "OK") result.uploaded++;
    else result.skipped++;
    events.done?.(item, status);
  });
  if (failures.length) {
    for (const f of failures) events.failed?.(f.item, (f.error as Error).message);
    const lines = failures.map((f) => `object ${f.item.sha} (${f.item.key}): ${(f.error as Error).message}`);
    throw PvrError.failed(`${failures.length} of ${items.length} object(s) could not be uploaded to ${remote.url}:\n  ${lines.join("\n  ")}`);
  }
  return result;
}
