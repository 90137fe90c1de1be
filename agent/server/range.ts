/**
 * HTTP Range for object downloads (RFC 9110 14): one `bytes=` range (`a-b`, `a-`, `-n`) gives
 * 206, an unsatisfiable one 416; several ranges or a malformed header are ignored (full 200),
 * as are ranges whose If-Range does not match the object's ETag.
 */
export type RangeResult = { start: number; end: number } | "unsatisfiable" | null;

export function parseRange(header: string | undefined, size: number): RangeResult {
  if (!header) return null;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m) return null;
  const [, a = "", b = ""] = m;
  if (a === "" && b === "") return null;
  if (a === "") {
    const n = Number(b);
    if (n === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(a);
  const end = b === "" ? size - 1 : Math.min(Number(b), size - 1);
  if (b !== "" && Number(b) < start) return null;
  if (start >= size) return "unsatisfiable";
  return { start, end };
}
