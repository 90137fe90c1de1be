/**
 * Bringing a state's objects from a remote into the local store (spec pvr-format 7.3 step 4-5,
 * 8.4): objects the store already has are skipped (the store only ever holds verified objects);
 * for each other one, R3 `GET <objects-endpoint>/<sha>` gives its signed-geturl, and R4 streams
 * it in (download.ts), `jobs` at a time; a pvr agent sends them in groups instead (batch.ts),
 * falling back to that for any group that fails. Verified objects enter the store only after one
 * flush made them durable. Every object that could not be brought is reported by sha and key in
 * one error after the others finished (Go bug 17.2 item 2), and the caller then leaves
 * `.pvr/json` unchanged.
 */
import { isNoSpace, PvrError } from "../../errors";
import { installTemps } from "../../objects/batch-writer";
import type { ObjectStore } from "../../objects/store";
import { isJsonObject } from "../../state/json";
import type { State } from "../../state/model";
import { objectsByKey } from "../transfer";
import { readJsonBody } from "./client";
import { batchEndpoint, type CopyTo, downloadInGroups } from "./batch";
import { downloadObject } from "./download";
import { type ObjectItem, runPool, type TransferEvents } from "./pool";
import type { Remote } from "./remote";
import { absoluteUrl } from "./url";

export interface DownloadResult {
  copied: number;
  cached: number;
}

export interface DownloadOptions {
  jobs?: number;
  events?: TransferEvents;
  /** Also write each object that arrives in a batch here (clone's new working tree). */
  copyTo?: CopyTo;
}

/** R3: where to download `sha` from, and its size when the remote says. */
export async function objectInfo(remote: Remote, sha: string): Promise<{ url: string; size?: number }> {
  const at = `${remote.info.objectsEndpoint}/${sha}`;
  const res = await remote.http.expect("GET", at, [200], { auth: true, headers: { Accept: "application/json" } });
  const doc = await readJsonBody(res, `object info (${at})`);
  const get = isJsonObject(doc) ? doc["signed-geturl"] : undefined;
  if (typeof get !== "string" || get === "") throw PvrError.badJson(`${at}: the object info has no "signed-geturl"`);
  const sizeText = isJsonObject(doc) ? String(doc.size ?? "") : "";
  return { url: absoluteUrl(get, at), size: /^\d+$/.test(sizeText) ? Number(sizeText) : undefined };
}

/** One error for a download a full disk stopped, instead of a line per object. */
function diskFull(remote: Remote, store: ObjectStore, failed: number, total: number): PvrError {
  return new PvrError("diskFull", `no space left on device for the objects from ${remote.url} in ${store.dir}: ${failed} of ${total} object(s) not downloaded; the repository state was not changed`);
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export async function downloadObjects(remote: Remote, state: State, store: ObjectStore, opts: DownloadOptions = {}): Promise<DownloadResult> {
  const events = opts.events ?? {};
  const missing: ObjectItem[] = [];
  let cached = 0;
  const wanted = objectsByKey(state);
  const present = store.present([...wanted.keys()]);
  for (const [sha, key] of wanted) {
    if (present.has(sha)) {
      cached++;
      events.done?.({ sha, key }, "cache");
    } else missing.push({ sha, key });
  }
  events.plan?.(missing.length, undefined);
  const jobs = opts.jobs ?? 4;
  // a pvr agent streams many objects per request; what a group could not bring goes one by one
  let single = missing;
  if (batchEndpoint(remote) !== "" && missing.length > 0) {
    const failed = await downloadInGroups(remote, missing, store, jobs, events, opts.copyTo);
    const full = failed.find((f) => isNoSpace(f.error));
    if (full) throw diskFull(remote, store, failed.flatMap((f) => f.items).length, missing.length);
    single = failed.flatMap((f) => f.items).filter((item) => !store.has(item.sha));
  }
  const verified: { sha: string; tmp: string }[] = [];
  const failures = await runPool(single, jobs, async (item) => {
    const info = await objectInfo(remote, item.sha);
    item.size = info.size;
    verified.push({ sha: item.sha, tmp: await downloadObject(store, item, info.url, remote.http, events) });
    events.done?.(item, "OK");
  });
  // every verified object is made durable at once, and only then enters the store
  installTemps(store, verified);
  if (failures.length === 0) return { copied: missing.length, cached };
  for (const f of failures) events.failed?.(f.item, describe(f.error));
  if (failures.some((f) => isNoSpace(f.error))) throw diskFull(remote, store, failures.length, missing.length);
  const lines = failures
    .sort((a, b) => (a.item.key < b.item.key ? -1 : 1))
    .map((f) => `object ${f.item.sha} (${f.item.key}): ${describe(f.error)}`);
  const msg = `${failures.length} of ${missing.length} object(s) could not be downloaded from ${remote.url}; the repository state was not changed:\n  ${lines.join("\n  ")}`;
  const codes = failures.map((f) => (f.error instanceof PvrError ? f.error.code : "failed"));
  if (codes.includes("integrity")) throw PvrError.integrity(msg);
  throw new PvrError(codes.every((c) => c === codes[0]) ? (codes[0] ?? "failed") : "failed", msg);
}
