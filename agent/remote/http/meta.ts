/**
 * A device's user-meta and device-meta over the agent's HTTP endpoint (device.md 6.3, served
 * under the pvr remote base URL): `GET <base>/<kind>` lists all keys as one JSON object (values
 * are strings, or objects/arrays when the stored value is JSON), `GET|PUT|DELETE <base>/<kind>/<key>`
 * read, write (raw body, 1..4096 bytes) and remove one key. Keys cannot contain `/`.
 */
import { PvrError } from "../../errors";
import { goMarshalIndent } from "../../state/indent";
import { isJsonObject, type JsonObject, type JsonValue } from "../../state/json";
import { type HttpClient, readJsonBody, statusError } from "./client";

export type MetaKind = "user-meta" | "device-meta";

export const MAX_META_VALUE = 4096;

export function checkMetaKey(key: string): void {
  if (key === "" || key.includes("/") || key === "." || key === ".." || /[\0-\x1f]/.test(key)) {
    throw PvrError.usage(`bad meta key ${JSON.stringify(key)}: keys are non-empty and contain no '/' or control characters`);
  }
}

function keyUrl(base: string, kind: MetaKind, key: string): string {
  checkMetaKey(key);
  return `${base.replace(/\/+$/, "")}/${kind}/${encodeURIComponent(key)}`;
}

export async function listMeta(http: HttpClient, base: string, kind: MetaKind): Promise<JsonObject> {
  const url = `${base.replace(/\/+$/, "")}/${kind}`;
  const doc = await http.getJson(url, kind);
  if (!isJsonObject(doc)) throw PvrError.badJson(`${url}: expected a JSON object of keys`);
  return doc;
}

/** One key's value: a JSON answer is decoded (a JSON string gives its text), anything else is the raw text. */
export async function getMetaKey(http: HttpClient, base: string, kind: MetaKind, key: string): Promise<JsonValue> {
  const url = keyUrl(base, kind, key);
  const res = await http.send("GET", url, { auth: true });
  if (res.status === 404) {
    await res.body?.cancel().catch(() => {});
    throw PvrError.notFound(`${kind} key ${JSON.stringify(key)} is not set on ${base}`);
  }
  if (res.status !== 200) throw await statusError("GET", url, res);
  if ((res.headers.get("content-type") ?? "").includes("json")) return readJsonBody(res, `${kind} ${key}`);
  return res.text();
}

export async function setMetaKey(http: HttpClient, base: string, kind: MetaKind, key: string, value: string): Promise<void> {
  const url = keyUrl(base, kind, key);
  const bytes = Buffer.byteLength(value);
  if (bytes === 0) throw PvrError.usage(`empty value for ${key}: use 'pvr device unset' to remove a key`);
  if (bytes > MAX_META_VALUE) throw PvrError.usage(`the value of ${key} is ${bytes} bytes; a device takes at most ${MAX_META_VALUE}`);
  const res = await http.send("PUT", url, { auth: true, headers: { "Content-Type": "text/plain; charset=utf-8" }, body: () => value });
  if (res.status < 200 || res.status > 299) throw await statusError("PUT", url, res);
  await res.body?.cancel().catch(() => {});
}

export async function unsetMetaKey(http: HttpClient, base: string, kind: MetaKind, key: string): Promise<void> {
  const url = keyUrl(base, kind, key);
  const res = await http.send("DELETE", url, { auth: true });
  if (res.status === 404) throw PvrError.notFound(`${kind} key ${JSON.stringify(key)} is not set on ${base}`);
  if (res.status < 200 || res.status > 299) throw await statusError("DELETE", url, res);
  await res.body?.cancel().catch(() => {});
}

/** A meta value as a user sees it: text as is, JSON documents as JSON. */
export function metaText(v: JsonValue): string {
  return typeof v === "string" ? v : goMarshalIndent(v);
}
