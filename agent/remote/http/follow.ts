/**
 * Following a posted revision until it settles (`pvr post --wait`): polls the revision's
 * progress document (device.md 7.1: `status`, `status-msg`, `progress`, …) at the `progress-url`
 * the post answer gave, or, when it gave none, at `<post-url>/<revision>/progress` (the layout
 * device.md 3.3 proposes). A change of status or message is reported; the final statuses are
 * DONE and UPDATED (success) and WONTGO, ERROR and CANCELLED (failure). Connection failures
 * are expected while a device reboots into the new revision, so they only end the wait at the
 * timeout.
 */
import { PvrError } from "../../errors";
import { isJsonObject, JsonNumber, type JsonObject, type JsonValue } from "../../state/json";
import { type HttpClient, readJsonBody, statusError } from "./client";
import { networkReason } from "./retry";
import { sleep } from "../../util/sleep";

class Transient extends Error {}

export interface Progress {
  status: string;
  statusMsg: string;
  progress?: number;
  raw: JsonObject;
}

export interface FollowOptions {
  intervalMs?: number;
  /** 0 waits forever. */
  timeoutMs?: number;
  onUpdate?: (p: Progress) => void;
  /** The device could not be reached (reported once per outage). */
  onUnreachable?: (reason: string) => void;
}

export const SUCCESS_STATUSES = ["DONE", "UPDATED"];
export const FAILED_STATUSES = ["WONTGO", "ERROR", "CANCELLED"];

/** A progress document, or one wrapped in `{"progress": {...}}` as in a step. */
export function readProgress(doc: JsonValue): Progress | undefined {
  if (!isJsonObject(doc)) return undefined;
  if (typeof doc.status !== "string" && isJsonObject(doc.progress)) return readProgress(doc.progress);
  if (typeof doc.status !== "string") return undefined;
  const p = doc.progress;
  const msg = doc["status-msg"];
  return {
    status: doc.status,
    statusMsg: typeof msg === "string" ? msg : "",
    progress: p instanceof JsonNumber ? Number(p.text) : undefined,
    raw: doc,
  };
}

export function progressUrlFor(postUrl: string, revision: string): string {
  return `${postUrl.replace(/\/+$/, "")}/${revision.split("/").map(encodeURIComponent).join("/")}/progress`;
}

export async function followProgress(http: HttpClient, url: string, opts: FollowOptions = {}): Promise<Progress> {
  const interval = opts.intervalMs ?? 1000;
  const deadline = opts.timeoutMs ? Date.now() + opts.timeoutMs : Number.POSITIVE_INFINITY;
  let last = "";
  let down = false;
  for (;;) {
    let p: Progress | undefined;
    try {
      const res = await http.fetchOnce("GET", url, { auth: true, headers: { Accept: "application/json" } });
      if (res.status >= 500) throw new Transient((await statusError("GET", url, res)).message);
      if (res.status === 404) throw PvrError.notFound(`the remote reports no progress for this revision: ${(await statusError("GET", url, res)).message}`);
      if (res.status !== 200) throw await statusError("GET", url, res);
      p = readProgress(await readJsonBody(res, `progress (${url})`));
      if (!p) throw PvrError.badJson(`${url}: the progress document has no "status"`);
      down = false;
    } catch (err) {
      if (err instanceof PvrError) throw err;
      if (!down) opts.onUnreachable?.(err instanceof Transient ? err.message : networkReason(err));
      down = true;
    }
    if (p) {
      const key = `${p.status}\n${p.statusMsg}\n${p.progress}`;
      if (key !== last) opts.onUpdate?.(p);
      last = key;
      if (SUCCESS_STATUSES.includes(p.status) || FAILED_STATUSES.includes(p.status)) return p;
    }
    if (Date.now() + interval > deadline) {
      throw PvrError.failed(`gave up waiting for the revision after ${Math.round((opts.timeoutMs ?? 0) / 1000)} s${p ? ` (last status ${p.status})` : ""}; it may still finish`);
    }
    await sleep(interval);
  }
}
