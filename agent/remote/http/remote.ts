/**
 * A pvr remote (spec pvr-format 8.2, 8.3; device.md 3.2 a, b): `GET <url>/.pvrremote` tells
 * where the state is (`json-get-url`), where objects are (`objects-endpoint`), where revisions
 * are posted (`post-url`) and under which envelope key (`json-key`, default "post"). Every other
 * URL comes from that document; relative ones are resolved against it (the Go tool needs them
 * absolute). The state GET checks its status (Go bug 17.2 item 3) and validates the state.
 */
import { PvrError } from "../../errors";
import { isJsonObject, type JsonObject } from "../../state/json";
import { checkState, objectIds, type State } from "../../state/model";
import { type HttpClient, readJsonBody, statusError } from "./client";
import { absoluteUrl, joinUrlPath } from "./url";

export interface PvrRemote {
  jsonGetUrl: string;
  /** The post envelope key ("post" when the remote gives none). */
  jsonKey: string;
  /** Without a trailing slash. */
  objectsEndpoint: string;
  postUrl: string;
  /** The document as received. */
  raw: JsonObject;
}

export interface Remote {
  /** The repository URL (no fragment). */
  url: string;
  info: PvrRemote;
  http: HttpClient;
}

function urlField(doc: JsonObject, key: string, base: string, required: boolean): string {
  const v = doc[key];
  if (v === undefined || v === null || v === "") {
    if (required) throw PvrError.badJson(`${base}: .pvrremote has no "${key}"; is this a pvr remote?`);
    return "";
  }
  if (typeof v !== "string") throw PvrError.badJson(`${base}: .pvrremote "${key}" must be a string`);
  try {
    return absoluteUrl(v, base);
  } catch {
    throw PvrError.badJson(`${base}: .pvrremote "${key}" is not a URL: ${JSON.stringify(v)}`);
  }
}

/** R1: reads `<url>/.pvrremote`. */
export async function openRemote(url: string, http: HttpClient): Promise<Remote> {
  const at = joinUrlPath(url, ".pvrremote");
  const doc = await http.getJson(at, "remote repository info");
  if (!isJsonObject(doc)) throw PvrError.badJson(`${at}: .pvrremote must be a JSON object`);
  const key = doc["json-key"];
  const info: PvrRemote = {
    jsonGetUrl: urlField(doc, "json-get-url", at, false),
    jsonKey: typeof key === "string" && key !== "" ? key : "post",
    objectsEndpoint: urlField(doc, "objects-endpoint", at, true).replace(/\/+$/, ""),
    postUrl: urlField(doc, "post-url", at, false),
    raw: doc,
  };
  return { url, info, http };
}

function needGetUrl(remote: Remote): string {
  if (remote.info.jsonGetUrl === "") throw PvrError.badJson(`${remote.url}: .pvrremote has no "json-get-url", so its state cannot be read`);
  return remote.info.jsonGetUrl;
}

/** R2: the remote's state, validated. */
export async function getRemoteState(remote: Remote): Promise<State> {
  const url = needGetUrl(remote);
  return checkState(await remote.http.getJson(url, "remote state"), url);
}

/**
 * The object ids the remote already has, from its current state (the post/put baseline). A remote
 * without a state yet (no json-get-url, 404, or an empty body) has none.
 */
export async function getBaseline(remote: Remote): Promise<Set<string>> {
  const url = remote.info.jsonGetUrl;
  if (url === "") return new Set();
  const res = await remote.http.send("GET", url, { auth: true, headers: { Accept: "application/json" } });
  if (res.status === 404 || res.status === 204) return new Set();
  if (res.status !== 200) throw await statusError("GET", url, res);
  if ((res.headers.get("content-length") ?? "") === "0") return new Set();
  return new Set(objectIds(checkState(await readJsonBody(res, `baseline state (${url})`), url)));
}
