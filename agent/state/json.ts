/**
 * Lossless JSON values and their parser.
 *
 * Numbers keep the literal text they were written with (JsonNumber), so integers beyond 2^53 and
 * long fractions survive a round trip, like Go's json.Number. Objects are null-prototype records
 * so keys such as "__proto__" are ordinary data. Errors carry a line and column.
 */

export class JsonNumber {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export type JsonValue = null | boolean | string | JsonNumber | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

export class JsonSyntaxError extends Error {
  constructor(
    readonly reason: string,
    readonly offset: number,
    readonly line: number,
    readonly column: number,
  ) {
    super(`${reason} at line ${line} column ${column}`);
  }
}

export function isJsonObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof JsonNumber);
}

export function newObject(): JsonObject {
  return Object.create(null) as JsonObject;
}

const NUMBER_RE = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

const HAS_NUMBER = /[:[,]\s*-?\d|^\s*-?\d/;

type Reviver = (this: unknown, key: string, value: unknown, context: { source: string }) => unknown;

/** Numbers keep their source text; objects lose their prototype. */
const revive: Reviver = (_key, value, context) => {
  if (typeof value === "number") return new JsonNumber(context.source);
  if (value !== null && typeof value === "object" && !Array.isArray(value)) Object.setPrototypeOf(value, null);
  return value;
};

function dropPrototypes(v: unknown): void {
  if (Array.isArray(v)) for (const x of v) dropPrototypes(x);
  else if (v !== null && typeof v === "object") {
    Object.setPrototypeOf(v, null);
    for (const k in v) dropPrototypes((v as Record<string, unknown>)[k]);
  }
}

/**
 * Parses one JSON document; trailing non-whitespace is an error (unlike Go's decoder). The
 * engine's native parser does the work (with JSON.parse source text access for numbers); the
 * hand-written parser below only runs to explain a syntax error with a line and column.
 */
export function parseJson(text: string): JsonValue {
  try {
    if (HAS_NUMBER.test(text)) return JSON.parse(text, revive as Parameters<typeof JSON.parse>[1]) as JsonValue;
    const v = JSON.parse(text) as JsonValue;
    dropPrototypes(v);
    return v;
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
    parseJsonStrict(text);
    throw new JsonSyntaxError(err.message, 0, 1, 1);
  }
}

/** The hand-written parser: same grammar, precise error positions, no native engine needed. */
export function parseJsonStrict(text: string): JsonValue {
  const p = new Parser(text);
  p.ws();
  const v = p.value(0);
  p.ws();
  if (p.i < text.length) p.fail("unexpected data after the JSON value");
  return v;
}

class Parser {
  i = 0;
  constructor(readonly s: string) {}

  fail(reason: string, at = this.i): never {
    let line = 1;
    let col = 1;
    for (let k = 0; k < at && k < this.s.length; k++) {
      if (this.s.charCodeAt(k) === 10) {
        line++;
        col = 1;
      } else col++;
    }
    throw new JsonSyntaxError(reason, at, line, col);
  }

  ws(): void {
    const s = this.s;
    let i = this.i;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === 32 || c === 10 || c === 13 || c === 9) i++;
      else break;
    }
    this.i = i;
  }

  value(depth: number): JsonValue {
    if (depth > 512) this.fail("nesting too deep");
    const c = this.s.charCodeAt(this.i);
    switch (c) {
      case 123: // {
        return this.object(depth);
      case 91: // [
        return this.array(depth);
      case 34: // "
        return this.string();
      case 116:
        return this.word("true", true);
      case 102:
        return this.word("false", false);
      case 110:
        return this.word("null", null);
      default:
        if (c === 45 || (c >= 48 && c <= 57)) return this.number();
        if (Number.isNaN(c)) this.fail("unexpected end of input");
        this.fail(`unexpected character ${JSON.stringify(this.s[this.i])}`);
    }
  }

  word<T>(w: string, v: T): T {
    if (!this.s.startsWith(w, this.i)) this.fail("invalid literal");
    this.i += w.length;
    return v;
  }

  number(): JsonNumber {
    NUMBER_RE.lastIndex = this.i;
    const m = NUMBER_RE.exec(this.s);
    if (!m) this.fail("invalid number");
    this.i += m[0].length;
    const next = this.s.charCodeAt(this.i);
    if ((next >= 48 && next <= 57) || next === 46 || next === 101 || next === 69) this.fail("invalid number");
    return new JsonNumber(m[0]);
  }

  string(): string {
    const s = this.s;
    const start = ++this.i;
    let i = start;
    let escaped = false;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === 34) break;
      if (c === 92) {
        escaped = true;
        i += 2;
        continue;
      }
      if (c < 32 || Number.isNaN(c)) this.fail(Number.isNaN(c) ? "unterminated string" : "control character in string", i);
      i++;
    }
    this.i = i + 1;
    if (!escaped) return s.slice(start, i);
    try {
      return JSON.parse(s.slice(start - 1, i + 1)) as string;
    } catch {
      this.fail("invalid escape in string", start);
    }
  }

  array(depth: number): JsonValue[] {
    this.i++;
    const out: JsonValue[] = [];
    this.ws();
    if (this.s.charCodeAt(this.i) === 93) {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      out.push(this.value(depth + 1));
      this.ws();
      const c = this.s.charCodeAt(this.i++);
      if (c === 93) return out;
      if (c !== 44) this.fail("expected ',' or ']'", this.i - 1);
    }
  }

  object(depth: number): JsonObject {
    this.i++;
    const out = newObject();
    this.ws();
    if (this.s.charCodeAt(this.i) === 125) {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.s.charCodeAt(this.i) !== 34) this.fail("expected a string key");
      const k = this.string();
      this.ws();
      if (this.s.charCodeAt(this.i++) !== 58) this.fail("expected ':'", this.i - 1);
      this.ws();
      out[k] = this.value(depth + 1);
      this.ws();
      const c = this.s.charCodeAt(this.i++);
      if (c === 125) return out;
      if (c !== 44) this.fail("expected ',' or '}'", this.i - 1);
    }
  }
}
