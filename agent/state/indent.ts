/**
 * Indented JSON in the two styles the Go tool prints:
 * - `tabIndent`: json.Indent(canonical, "", "\t"), used by `pvr json` and `pvr diff` (tokens kept
 *   canonical);
 * - `goMarshalIndent`: json.MarshalIndent(v, "", "    "), used for inline JSON files written by
 *   checkout (keys sorted, numbers verbatim, Go's HTML-safe string escaping).
 */
import { canonicalNumber, canonicalString, sortedKeys } from "./canonical";
import { JsonNumber, type JsonValue } from "./json";

interface Style {
  indent: string;
  str: (s: string) => string;
  num: (n: JsonNumber) => string;
}

function writeIndented(v: JsonValue, style: Style, depth: number, out: string[]): void {
  if (v === null) out.push("null");
  else if (v === true || v === false) out.push(String(v));
  else if (typeof v === "string") out.push(style.str(v));
  else if (v instanceof JsonNumber) out.push(style.num(v));
  else {
    const isArr = Array.isArray(v);
    const keys = isArr ? null : sortedKeys(v);
    const n = isArr ? v.length : (keys as string[]).length;
    if (n === 0) {
      out.push(isArr ? "[]" : "{}");
      return;
    }
    const pad = `\n${style.indent.repeat(depth + 1)}`;
    out.push(isArr ? "[" : "{");
    for (let i = 0; i < n; i++) {
      out.push(i ? `,${pad}` : pad);
      if (isArr) writeIndented(v[i] as JsonValue, style, depth + 1, out);
      else {
        const k = (keys as string[])[i] as string;
        out.push(style.str(k), ": ");
        writeIndented((v as Record<string, JsonValue>)[k] as JsonValue, style, depth + 1, out);
      }
    }
    out.push(`\n${style.indent.repeat(depth)}`, isArr ? "]" : "}");
  }
}

const TAB_STYLE: Style = { indent: "\t", str: canonicalString, num: (n) => canonicalNumber(n.text) };

export function tabIndent(v: JsonValue): string {
  const out: string[] = [];
  writeIndented(v, TAB_STYLE, 0, out);
  return out.join("");
}

const GO_ESCAPES: Record<string, string> = { '"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/** Go encoding/json string quoting with HTML escaping (Go 1.19, as pvr releases are built). */
export function goString(s: string): string {
  return `"${s.replace(
    /["\\\u0000-\u001f<>&\u2028\u2029]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
    (ch) => {
      const known = GO_ESCAPES[ch];
      if (known) return known;
      const c = ch.charCodeAt(0);
      if (c >= 0xd800 && c <= 0xdfff) return "\\ufffd";
      return `\\u${c.toString(16).padStart(4, "0")}`;
    },
  )}"`;
}

const GO_STYLE: Style = { indent: "    ", str: goString, num: (n) => n.text };

export function goMarshalIndent(v: JsonValue): string {
  const out: string[] = [];
  writeIndented(v, GO_STYLE, 0, out);
  return out.join("");
}
