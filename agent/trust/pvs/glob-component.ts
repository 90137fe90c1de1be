/**
 * The component-level half of the doublestar v1.3.4 matcher (see glob.ts): matching one name
 * component against the head of a pattern, with `*`, `?`, `[...]`, `{a,b}` and `\` escapes, and
 * returning what is left of the pattern for the next components. Follows the library's
 * recursion and quirks exactly; malformed patterns raise GlobError.
 */

export class GlobError extends Error {}

const bad = (p: string): never => {
  throw new GlobError(`bad glob pattern ${JSON.stringify(p)}`);
};

/** The code point at `i` and its width in UTF-16 units; -1 past the end. */
function at(s: string, i: number): [number, number] {
  if (i >= s.length) return [-1, 0];
  const c = s.codePointAt(i) as number;
  return [c, c > 0xffff ? 2 : 1];
}

/** First index of `ch` in `s` whose preceding unit is not a backslash (one level, as upstream). */
export function indexUnescaped(s: string, ch: string): number {
  let from = 0;
  for (;;) {
    const i = s.indexOf(ch, from);
    if (i <= 0 || s[i - 1] !== "\\") return i;
    from = i + 1;
  }
}

/** Splits `a,b}rest` (the text after a `{`) into its alternatives and the index after `}`. */
function splitAlternatives(s: string): [string[], number] | null {
  const opts: string[] = [];
  let depth = 1;
  let esc = false;
  let start = 0;
  let i = 0;
  while (depth > 0) {
    if (i >= s.length) return null;
    const [c, w] = at(s, i);
    if (esc) esc = false;
    else if (c === 92) esc = true;
    else if (c === 123) depth++;
    else if (c === 125) depth--;
    else if (c === 44 && depth === 1) {
      opts.push(s.slice(start, i));
      start = i + w;
    }
    i += w;
  }
  opts.push(s.slice(start, i - 1));
  return [opts, i];
}

function zeroLength(p: string): boolean {
  if (p === "" || p === "*" || p === "**") return true;
  if (p[0] !== "{") return false;
  const alts = splitAlternatives(p.slice(1)) ?? bad(p);
  if (!zeroLength(p.slice(1 + alts[1]))) return false;
  return alts[0].some(zeroLength);
}

/** Character class body (between `[` and `]`) against code point `c`; null when it fails. */
function classMatches(body: number[], c: number, p: string): boolean {
  if (body.length === 0) bad(p);
  const negate = body[0] === 94;
  let i = negate ? 1 : 0;
  let hit = false;
  const one = (): number => {
    const r = body[i++] as number;
    if (r !== 92) return r;
    if (i >= body.length) bad(p);
    return body[i++] as number;
  };
  while (i < body.length) {
    if (body[i] === 45) bad(p);
    const lo = one();
    let hi = lo;
    if (body[i] === 45) {
      if (++i >= body.length || body[i] === 45) bad(p);
      hi = one();
    }
    if (lo <= c && c <= hi) hit = true;
  }
  return hit !== negate;
}

/**
 * Matches one name component; returns the pattern alternatives left for the next components
 * ([] = the pattern ended with the component), or null for no match.
 */
export function matchComponent(p: string, name: string): string[] | null {
  let pi = 0;
  let ni = 0;
  while (pi < p.length && ni < name.length) {
    let [pc, pw] = at(p, pi);
    const [nc, nw] = at(name, ni);
    if (pc === 47) {
      pi++;
      break;
    } else if (pc === 92) {
      pi += pw;
      [pc, pw] = at(p, pi);
      if (pc === -1 || pc === 0xfffd) bad(p);
      if (pc !== nc) return null;
      pi += pw;
      ni += nw;
    } else if (pc === 42) {
      pi += pw;
      if (pi >= p.length) return [];
      if (p[pi] === "/") return [p.slice(pi + 1)];
      for (; ni < name.length; ni += at(name, ni)[1]) {
        const m = matchComponent(p.slice(pi), name.slice(ni));
        if (m !== null) return m;
      }
      return null;
    } else if (pc === 91) {
      pi += pw;
      const close = indexUnescaped(p.slice(pi), "]");
      if (close === -1) bad(p);
      const body = [...p.slice(pi, pi + close)].map((ch) => ch.codePointAt(0) as number);
      if (!classMatches(body, nc, p)) return null;
      pi += close + 1;
      ni += nw;
    } else if (pc === 123) {
      pi += pw;
      const alts = splitAlternatives(p.slice(pi)) ?? bad(p);
      const rest = p.slice(pi + alts[1]);
      let out: string[] | null = null;
      for (const o of alts[0]) {
        const m = matchComponent(o + rest, name.slice(ni));
        if (m !== null) out = [...(out ?? []), ...m];
      }
      return out;
    } else if (pc === 63 || pc === nc) {
      pi += pw;
      ni += nw;
    } else return null;
  }
  if (ni < name.length) return null;
  if (pi >= p.length) return [];
  const restP = p.slice(pi);
  const slash = indexUnescaped(restP, "/");
  if (!zeroLength(slash >= 0 ? restP.slice(0, slash) : restP)) return null;
  return slash === -1 ? [] : [restP.slice(slash + 1)];
}

