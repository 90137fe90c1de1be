/**
 * user-meta and device-meta through the backend (device.md 6.3). Listing follows Pantavisor:
 * a value that parses as a JSON object or array is emitted raw, anything else as a string.
 * Keys are one path segment (no `/`, not `.`/`..`, at most 255 bytes); values 1..4096 bytes.
 */
import type { MetaKind } from "../device/backend";
import { HttpError } from "../http-error";
import { META_VALUE_MAX } from "../store/meta";
import type { AgentContext } from "./context";

export function checkMetaKey(key: string): string {
  if (key === "" || key === "." || key === ".." || key.includes("/") || key.includes("\0") || Buffer.byteLength(key) > 255) {
    throw HttpError.badRequest(`invalid meta key ${JSON.stringify(key)}: one path segment of 1-255 bytes, no '/'`);
  }
  return key;
}

function rawJsonValue(value: string): string {
  const t = value.trim();
  if (t.startsWith("{") || t.startsWith("[")) {
    try {
      JSON.parse(t);
      return t;
    } catch {}
  }
  return JSON.stringify(value);
}

/** The whole list as JSON text, values raw when they are objects or arrays. */
export async function metaDocument(ctx: AgentContext, kind: MetaKind, signal?: AbortSignal): Promise<string> {
  const all = await ctx.backend.getMeta(kind, signal);
  const parts = Object.keys(all)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${rawJsonValue(all[k] as string)}`);
  return `{${parts.join(",")}}`;
}

export async function metaValue(ctx: AgentContext, kind: MetaKind, key: string, signal?: AbortSignal): Promise<string> {
  const all = await ctx.backend.getMeta(kind, signal);
  const v = all[checkMetaKey(key)];
  if (v === undefined) throw HttpError.notFound(`${kind}-meta ${key} does not exist`);
  return v;
}

export async function putMeta(ctx: AgentContext, kind: MetaKind, key: string, value: string, signal?: AbortSignal): Promise<void> {
  if (ctx.config.readOnly) throw HttpError.readOnly(`${kind}-meta write`);
  checkMetaKey(key);
  const n = Buffer.byteLength(value);
  if (n === 0) throw HttpError.badRequest(`${kind}-meta ${key}: empty value (use DELETE to remove a key)`);
  if (n > META_VALUE_MAX) throw HttpError.tooLarge(`${kind}-meta ${key}: value is ${n} bytes, at most ${META_VALUE_MAX} are allowed`);
  await ctx.backend.putMeta(kind, key, value, signal);
  ctx.log(`${kind}-meta ${key} set (${n} bytes)`);
}

export async function deleteMeta(ctx: AgentContext, kind: MetaKind, key: string, signal?: AbortSignal): Promise<void> {
  if (ctx.config.readOnly) throw HttpError.readOnly(`${kind}-meta delete`);
  if (!(await ctx.backend.deleteMeta(kind, checkMetaKey(key), signal))) throw HttpError.notFound(`${kind}-meta ${key} does not exist`);
  ctx.log(`${kind}-meta ${key} deleted`);
}
