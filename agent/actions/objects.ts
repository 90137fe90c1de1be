/**
 * Object info and upload announcements (spec pvr-format 8.4, 8.5; device.md 3.2 c/d). Answers
 * are `ObjectWithAccess` documents: `size` is a string, `signed-geturl`/`signed-puturl` are
 * absolute `…/objects/<sha>/blob` URLs (HMAC-signed in token mode). An announcement of an
 * object the device has is a 409 with `Pantahub-Object-Type: object`; otherwise the upload
 * session (size, name) is recorded and the blob PUT is checked against it.
 */
import { statSync } from "node:fs";
import { HttpError } from "../http-error";
import { isJsonObject, JsonNumber, type JsonValue } from "../state/json";
import { isInlineJson, isObjectId, isSha, SPEC_KEY } from "../state/model";
import type { AgentContext } from "./context";

export type ObjectWithAccess = Record<string, string>;

export function checkSha(sha: string): string {
  const s = sha.toLowerCase();
  if (!isObjectId(s)) throw HttpError.badRequest(`${JSON.stringify(sha)} is not a sha256 object id (64 hex digits)`);
  return s;
}

/** Size of an installed object, or null. */
export function objectSize(ctx: AgentContext, sha: string): number | null {
  try {
    return statSync(ctx.objects.path(sha)).size;
  } catch {
    return null;
  }
}

/** The state key that names `sha` in the running revision (a progress label for pvr). */
async function objectName(ctx: AgentContext, sha: string): Promise<string> {
  const session = ctx.store.uploads.get(sha);
  if (session?.objectName) return session.objectName;
  try {
    const rev = await ctx.backend.currentRevision();
    if (ctx.names?.rev !== rev) {
      const state = (await ctx.backend.revisionState(rev)) ?? {};
      const map = new Map<string, string>();
      for (const [k, v] of Object.entries(state)) if (k !== SPEC_KEY && !isInlineJson(k, v) && isSha(v)) map.set(v.toLowerCase(), k);
      ctx.names = { rev, map };
    }
    return ctx.names.map.get(sha) ?? "";
  } catch {
    return "";
  }
}

function access(sha: string, name: string, size: number | null, getUrl: string, putUrl: string): ObjectWithAccess {
  return {
    id: sha, "storage-id": sha, owner: "", objectname: name, sha256sum: sha, size: size === null ? "" : String(size),
    "mime-type": "application/octet-stream", "signed-puturl": putUrl, "signed-geturl": getUrl,
    now: String(Math.floor(Date.now() / 1000)), "expire-time": "",
  };
}

export function blobUrl(ctx: AgentContext, base: string, sha: string, purpose: "get" | "put"): string {
  return `${base}/objects/${sha}/blob${ctx.signer.query(purpose, sha)}`;
}

export async function objectInfo(ctx: AgentContext, base: string, rawSha: string): Promise<ObjectWithAccess> {
  const sha = checkSha(rawSha);
  const size = objectSize(ctx, sha);
  if (size === null) throw HttpError.notFound(`object ${sha} is not on this device`);
  return access(sha, await objectName(ctx, sha), size, blobUrl(ctx, base, sha, "get"), "");
}

function announcedSize(v: JsonValue | undefined): number | null {
  const text = typeof v === "string" ? v : v instanceof JsonNumber ? v.text : undefined;
  if (text === undefined || text === "") return null;
  if (!/^\d{1,16}$/.test(text)) throw HttpError.badRequest(`"size" must be a byte count, not ${JSON.stringify(text)}`);
  return Number(text);
}

/** `POST objects/`: 409 when present, else 200 with where to PUT the bytes. */
export function announceUpload(ctx: AgentContext, base: string, body: JsonValue): { status: 200 | 409; body: ObjectWithAccess } {
  if (ctx.config.readOnly) throw HttpError.readOnly("object upload");
  if (!isJsonObject(body)) throw HttpError.badRequest("object info must be a JSON object");
  const rawSha = body.sha256sum ?? body.id;
  if (typeof rawSha !== "string") throw HttpError.badRequest('object info needs "sha256sum"');
  const sha = checkSha(rawSha);
  const name = typeof body.objectname === "string" ? body.objectname : "";
  const size = announcedSize(body.size);
  const have = objectSize(ctx, sha);
  const put = blobUrl(ctx, base, sha, "put");
  if (have !== null) return { status: 409, body: access(sha, name, have, blobUrl(ctx, base, sha, "get"), put) };
  if (size !== null && size > ctx.config.maxObjectSize) {
    throw HttpError.tooLarge(`object ${name || sha} is ${size} bytes; this agent accepts at most ${ctx.config.maxObjectSize} (--max-object-size)`);
  }
  ctx.store.uploads.begin(sha, size, name);
  return { status: 200, body: access(sha, name, size, "", put) };
}
