/**
 * Canonical JSON exactly as gibson042/canonicaljson-go v1.0.3 writes it (spec pvr-format 4.1):
 * no whitespace, keys in Unicode code point order, minimal string escapes with uppercase \u00XX,
 * integral numbers as plain digits, other numbers as d.dddE[-]x. This is the byte format of
 * .pvr/json, .pvr/new, exported json, POST bodies and signature payloads.
 */
import { JsonNumber, type JsonObject, type JsonValue } from "./json";

/** Compares strings by Unicode code point (Go's bytewise UTF-8 order), not UTF-16 units. */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let ca = a.charCodeAt(i);
    let cb = b.charCodeAt(i);
    if (ca === cb) continue;
    if (ca >= 0xd800 && cb >= 0xd800) {
      if (ca <= 0xdfff) ca += 0x10000;
      if (cb <= 0xdfff) cb += 0x10000;
    }
    return ca - cb;
  }
  return a.length - b.length;
}

export function sortedKeys(o: JsonObject): string[] {
  return Object.keys(o).sort(compareKeys);
}

const MAX_EXPONENT = 100_000;

/** Normalises a JSON number literal to canonical form (lossless, decimal string arithmetic). */
export function canonicalNumber(literal: string): string {
  const m = /^(-?)([0-9]+)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]+))?$/.exec(literal);
  if (!m) throw new Error(`invalid number literal ${JSON.stringify(literal)}`);
  const [, sign, intPart, fracPart = "", expText = "0"] = m;
  const exp = Number(expText);
  if (!Number.isSafeInteger(exp) || Math.abs(exp) > MAX_EXPONENT) {
    throw new Error(`number exponent out of range: ${literal}`);
  }
  let digits = (intPart + fracPart).replace(/^0+/, "");
  if (digits === "") return "0";
  let scale = exp - fracPart.length;
  const trimmed = digits.replace(/0+$/, "");
  scale += digits.length - trimmed.length;
  digits = trimmed;
  if (scale >= 0) {
    if (scale > MAX_EXPONENT) throw new Error(`number too large: ${literal}`);
    return sign + digits + "0".repeat(scale);
  }
  const e = scale + digits.length - 1;
  return `${sign}${digits[0]}.${digits.length > 1 ? digits.slice(1) : "0"}E${e}`;
}

const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

function hex4(c: number): string {
  return c.toString(16).toUpperCase().padStart(4, "0");
}

/** Quotes a string the canonical way; lone surrogates become \uDXXX, valid pairs stay raw. */
export function canonicalString(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return `"${s}"`;
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let rep: string | undefined;
    if (c === 34) rep = '\\"';
    else if (c === 92) rep = "\\\\";
    else if (c < 0x20) {
      rep =
        c === 8 ? "\\b" : c === 9 ? "\\t" : c === 10 ? "\\n" : c === 12 ? "\\f" : c === 13 ? "\\r" : `\\u${hex4(c)}`;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const next = s.charCodeAt(i + 1);
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      rep = `\\u${hex4(c)}`;
    }
    if (rep !== undefined) {
      out += s.slice(start, i) + rep;
      start = i + 1;
    }
  }
  return `${out}${s.slice(start)}"`;
}

export function canonicalize(v: JsonValue): string {
  const parts: string[] = [];
  write(v, parts);
  return parts.join("");
}

function write(v: JsonValue, out: string[]): void {
  if (v === null) out.push("null");
  else if (v === true) out.push("true");
  else if (v === false) out.push("false");
  else if (typeof v === "string") out.push(canonicalString(v));
  else if (v instanceof JsonNumber) out.push(canonicalNumber(v.text));
  else if (Array.isArray(v)) {
    out.push("[");
    for (let i = 0; i < v.length; i++) {
      if (i) out.push(",");
      write(v[i] as JsonValue, out);
    }
    out.push("]");
  } else {
    out.push("{");
    let first = true;
    for (const k of sortedKeys(v)) {
      if (!first) out.push(",");
      first = false;
      out.push(canonicalString(k), ":");
      write(v[k] as JsonValue, out);
    }
    out.push("}");
  }
}

/** Structural equality by canonical bytes (numbers compare by value, not spelling). */
export function jsonEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (typeof a === "string" || typeof b === "string") return a === b;
  return canonicalize(a) === canonicalize(b);
}
