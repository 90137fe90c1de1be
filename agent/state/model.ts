/**
 * The state model: what a key may be, which values are inline JSON and which are object ids
 * (spec pvr-format 3.1, 3.2), and the default #spec.
 */
import { PvrError } from "../errors";
import { isJsonObject, type JsonObject, type JsonValue } from "./json";

export const SPEC_KEY = "#spec";
export const DEFAULT_SPEC = "pantavisor-service-system@1";

export type State = JsonObject;

const SHA_RE = /^[0-9a-fA-F]{64}$/;
const OBJECT_ID_RE = /^[0-9a-f]{64}$/;

/** The Go tool's IsSha: 64 hex digits in either case. */
export function isSha(v: unknown): v is string {
  return typeof v === "string" && SHA_RE.test(v);
}

/** A name that can live in an objects directory: lowercase hex only. */
export function isObjectId(v: string): boolean {
  return OBJECT_ID_RE.test(v);
}

/** Go's isInlineJson: a `.json` key whose value is not a sha string. */
export function isInlineJson(key: string, value: JsonValue | undefined): boolean {
  return key.endsWith(".json") && !isSha(value);
}

/** Keys with none of the characters or sequences that could be unsafe skip the full check. */
function plainlySafe(key: string): boolean {
  return (
    key !== "" &&
    key.charCodeAt(0) !== 47 &&
    !key.includes("\\") &&
    !key.includes("\0") &&
    !key.includes("//") &&
    !key.includes("./") &&
    !key.endsWith("/") &&
    !key.endsWith(".") &&
    !key.startsWith(".pvr")
  );
}

/** Why a state key is unsafe to turn into a path, or null when it is fine. */
export function keyProblem(key: string): string | null {
  if (plainlySafe(key)) return null;
  if (key === "") return "empty key";
  if (key.includes("\0")) return "NUL byte in key";
  if (key.includes("\\")) return "backslash in key";
  if (key.startsWith("/")) return "absolute path";
  const segs = key.split("/");
  for (const s of segs) {
    if (s === "") return "empty path segment";
    if (s === "." || s === "..") return `'${s}' path segment`;
  }
  if (segs[0] === ".pvr") return "key inside .pvr/";
  return null;
}

/** Validates a whole state: an object, string #spec, safe keys, sha or inline values. */
export function checkState(v: JsonValue, origin: string): State {
  if (!isJsonObject(v)) throw PvrError.badState(`${origin}: a state must be a JSON object`);
  for (const key of Object.keys(v)) {
    const value = v[key] as JsonValue;
    if (key === SPEC_KEY) {
      if (typeof value !== "string") throw PvrError.badState(`${origin}: #spec must be a string`);
      continue;
    }
    const problem = keyProblem(key);
    if (problem) throw PvrError.unsafe(`${origin}: unsafe state key ${JSON.stringify(key)}: ${problem}`);
    if (!isInlineJson(key, value) && !isSha(value)) {
      throw PvrError.badState(`${origin}: key ${JSON.stringify(key)} must hold a sha256 object id`);
    }
  }
  return v;
}

/** Object ids referenced by a state (lowercased), sorted and unique. */
export function objectIds(state: State): string[] {
  const ids = new Set<string>();
  for (const [k, v] of Object.entries(state)) {
    if (k !== SPEC_KEY && !isInlineJson(k, v)) ids.add((v as string).toLowerCase());
  }
  return [...ids].sort();
}
