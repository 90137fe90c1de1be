/**
 * Glob matching with the semantics of bmatcuk/doublestar v1.3.4 `Match(pattern, name)`, which the
 * Go pvr uses to select signed state keys (spec pvr-format 12.2). `/` separates components; `*`
 * and `?` stay inside one component; `**` is special only as a whole component and then spans
 * any number of them (but `a/**` does not match `a`); `[...]`/`[^...]` classes, `{a,b}`
 * alternatives (which may contain `/`) and `\` escapes are supported. The recursive structure
 * follows the library's, including its quirks (for example `[^]` matches any rune and `a*{b,}`
 * does not match `a`), so that signatures select exactly the keys Go pvr selects. Bad patterns
 * raise GlobError; callers that mirror pvr treat them as "no match".
 */

import { GlobError, indexUnescaped, matchComponent } from "./glob-component";

export { GlobError };

function splitName(name: string): string[] {
  if (!name.includes("/")) return [name];
  const out: string[] = [];
  let start = 0;
  let emptyEnd = false;
  while (start < name.length) {
    const rel = indexUnescaped(name.slice(start), "/");
    emptyEnd = rel !== -1;
    const end = rel === -1 ? name.length : start + rel;
    out.push(name.slice(start, end));
    start = end + 1;
  }
  if (emptyEnd) out.push("");
  return out;
}

function doMatching(p: string, comps: string[]): boolean {
  if (p === "" && comps.length === 1 && comps[0] === "") return true;
  const slash = indexUnescaped(p, "/");
  const head = slash === -1 ? p : p.slice(0, slash);
  if (head === "**") {
    if (slash === -1) return true;
    const rest = p.slice(slash + 1);
    for (let i = 0; i < comps.length; i++) {
      try {
        if (doMatching(rest, comps.slice(i))) return true;
      } catch (err) {
        if (!(err instanceof GlobError)) throw err;
      }
    }
    return false;
  }
  const m = matchComponent(p, comps[0] as string);
  if (m === null) return false;
  if (m.length === 0) return comps.length === 1;
  if (comps.length > 1) for (const alt of m) if (doMatching(alt, comps.slice(1))) return true;
  return false;
}

/** doublestar.Match: true when `pattern` matches all of `name`; throws GlobError on a bad pattern. */
export function globMatch(pattern: string, name: string): boolean {
  return doMatching(pattern, splitName(name));
}

/** globMatch with errors counted as "no match", as pvr's selection does. */
export function globMatches(pattern: string, name: string): boolean {
  try {
    return globMatch(pattern, name);
  } catch (err) {
    if (err instanceof GlobError) return false;
    throw err;
  }
}

/** A syntax problem in a pattern (unclosed `[` or `{`, trailing `\`), or null when it looks fine. */
export function globProblem(pattern: string): string | null {
  let depth = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\") {
      if (++i >= pattern.length) return "trailing backslash";
    } else if (c === "[") {
      const close = indexUnescaped(pattern.slice(i + 1), "]");
      if (close === -1) return "unclosed '['";
      if (close === 0) return "empty character class";
      i += close + 1;
    } else if (c === "{") depth++;
    else if (c === "}" && depth > 0) depth--;
  }
  return depth > 0 ? "unclosed '{'" : null;
}
