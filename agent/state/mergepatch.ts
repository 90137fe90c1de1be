/**
 * RFC 7386 JSON Merge Patch: create (what `pvr diff` prints) and apply (get/merge, and commit in
 * --compat-go mode). The `goFloat` helpers reproduce the Go tool's float64 round trip and
 * null pruning for byte-compatible commits (spec pvr-format 5.5).
 */
import { jsonEqual } from "./canonical";
import { isJsonObject, JsonNumber, type JsonObject, type JsonValue, newObject } from "./json";

export function createMergePatch(orig: JsonValue, mod: JsonValue): JsonValue {
  if (!isJsonObject(orig) || !isJsonObject(mod)) return mod;
  return objectPatch(orig, mod);
}

function objectPatch(orig: JsonObject, mod: JsonObject): JsonObject {
  const patch = newObject();
  for (const k of Object.keys(orig)) if (!(k in mod)) patch[k] = null;
  for (const k of Object.keys(mod)) {
    const a = orig[k];
    const b = mod[k] as JsonValue;
    if (a === undefined) patch[k] = b;
    else if (isJsonObject(a) && isJsonObject(b)) {
      const sub = objectPatch(a, b);
      if (Object.keys(sub).length) patch[k] = sub;
    } else if (!jsonEqual(a, b)) patch[k] = b;
  }
  return patch;
}

/** Applies a merge patch without mutating its inputs. `pruneArrays` mimics evanphx/json-patch. */
export function applyMergePatch(target: JsonValue | undefined, patch: JsonValue, pruneArrays = false): JsonValue {
  if (!isJsonObject(patch)) return pruneArrays ? pruneNulls(patch) : patch;
  const out = newObject();
  if (isJsonObject(target)) Object.assign(out, target);
  for (const k of Object.keys(patch)) {
    const v = patch[k] as JsonValue;
    if (v === null) delete out[k];
    else out[k] = applyMergePatch(out[k], v, pruneArrays);
  }
  return out;
}

function pruneNulls(v: JsonValue): JsonValue {
  if (Array.isArray(v)) return v.filter((x) => x !== null).map(pruneNulls);
  if (isJsonObject(v)) {
    const o = newObject();
    for (const k of Object.keys(v)) if (v[k] !== null) o[k] = pruneNulls(v[k] as JsonValue);
    return o;
  }
  return v;
}

/** Every number through float64 and back, as Go's encoding/json does inside CreateMergePatch. */
export function goFloatRoundTrip(v: JsonValue): JsonValue {
  if (v instanceof JsonNumber) {
    const f = Number(v.text);
    if (!Number.isFinite(f)) throw new Error(`number ${v.text} does not fit a float64`);
    return new JsonNumber(String(f));
  }
  if (Array.isArray(v)) return v.map(goFloatRoundTrip);
  if (isJsonObject(v)) {
    const o = newObject();
    for (const k of Object.keys(v)) o[k] = goFloatRoundTrip(v[k] as JsonValue);
    return o;
  }
  return v;
}
