/** Canonical JSON: the spec's Appendix A.1 vectors and properties over arbitrary JSON. */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { canonicalize, canonicalNumber, canonicalString, compareKeys } from "../agent/state/canonical";
import { goMarshalIndent, tabIndent } from "../agent/state/indent";
import { JsonNumber, type JsonValue, parseJson, parseJsonStrict } from "../agent/state/json";

const canon = (text: string) => canonicalize(parseJson(text));

describe("Appendix A.1 vectors", () => {
  const numbers: [string, string][] = [
    ["1", "1"],
    ["1.0", "1"],
    ["1e0", "1"],
    ["100", "100"],
    ["1e2", "100"],
    ["1.5", "1.5E0"],
    ["0.5", "5.0E-1"],
    ["-2.50", "-2.5E0"],
    ["0.000001", "1.0E-6"],
    ["1e21", "1000000000000000000000"],
    ["12345678901234567890", "12345678901234567890"],
    ["-0", "0"],
  ];
  for (const [input, want] of numbers) test(`number ${input} -> ${want}`, () => expect(canon(input)).toBe(want));

  test("strings escape only what they must, keys sorted", () => {
    expect(canon('{"b":"<&>é\\u2028\\u0001\\t/","a":[],"#spec":"x","Z":null}')).toBe(
      '{"#spec":"x","Z":null,"a":[],"b":"<&>é\u2028\\u0001\\t/"}',
    );
  });

  test("keys sort by code point: é < U+E000 < 😀 (not UTF-16 order)", () => {
    expect(canon('{"😀":1,"\\uE000":2,"é":3,"b":4,"a":5,"Z":6,"#spec":"s"}')).toBe(
      '{"#spec":"s","Z":6,"a":5,"b":4,"é":3,"\uE000":2,"😀":1}',
    );
  });

  test("section 4.1 vector", () => {
    const doc = `{"x/run.json":{"nul":null,"n":1.5,"big":12345678901234567890,"arr":[1,null]},"a.txt":"9c7a","#spec":"pantavisor-service-system@1"}`;
    expect(canon(doc)).toBe(
      '{"#spec":"pantavisor-service-system@1","a.txt":"9c7a","x/run.json":{"arr":[1,null],"big":12345678901234567890,"n":1.5E0,"nul":null}}',
    );
  });

  test("control characters use short escapes or uppercase \\u00XX", () => {
    expect(canonicalString("\b\f\n\r\t\u001f\u007f")).toBe('"\\b\\f\\n\\r\\t\\u001F\u007f"');
  });

  test("lone surrogates are escaped, pairs kept raw", () => {
    expect(canonicalString("a\ud800b")).toBe('"a\\uD800b"');
    expect(canonicalString("😀")).toBe('"😀"');
  });
});

describe("parser", () => {
  test("rejects malformed JSON with line and column", () => {
    expect(() => parseJson('{\n  "a": 1,\n  "b": }')).toThrow(/line 3 column 8/);
    expect(() => parseJson("[1,]")).toThrow();
    expect(() => parseJson("01")).toThrow();
    expect(() => parseJson('{"a":1} x')).toThrow(/after the JSON value/);
    expect(() => parseJson('"tab\there"')).toThrow(/control character/);
  });
  test("__proto__ is an ordinary key", () => {
    expect(canon('{"__proto__":{"x":1}}')).toBe('{"__proto__":{"x":1}}');
  });
});

describe("Go-style indentation", () => {
  test("pvr json style: tabs, canonical tokens", () => {
    expect(tabIndent(parseJson('{"b":[1,{}],"a":1.50,"c":[]}'))).toBe('{\n\t"a": 1.5E0,\n\t"b": [\n\t\t1,\n\t\t{}\n\t],\n\t"c": []\n}');
  });
  test("checkout style: 4 spaces, HTML escaped, numbers verbatim", () => {
    expect(goMarshalIndent(parseJson('{"s":"<a&b>\\u2028","n":1.5E0}'))).toBe(
      '{\n    "n": 1.5E0,\n    "s": "\\u003ca\\u0026b\\u003e\\u2028"\n}',
    );
  });
});

const number = fc.oneof(
  fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map((b) => ({ lit: String(b), check: (c: string) => BigInt(c) === b })),
  fc
    .double({ noNaN: true, noDefaultInfinity: true })
    .map((d) => ({ lit: JSON.stringify(d), check: (c: string) => Number(c) === (Object.is(d, -0) ? 0 : d) })),
);

const jsonTree = fc.letrec<{ value: JsonValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.constant(null),
    fc.boolean(),
    fc.string({ unit: "binary" }),
    number.map((n) => new JsonNumber(n.lit)),
    fc.array(tie("value"), { maxLength: 5 }),
    fc.dictionary(fc.string({ unit: "binary" }), tie("value"), { maxKeys: 5 }).map((o) => Object.assign(Object.create(null), o)),
  ),
})).value;

describe("properties", () => {
  test("canonicalisation is idempotent", () => {
    fc.assert(
      fc.property(jsonTree, (v) => {
        const once = canonicalize(v);
        expect(canonicalize(parseJson(once))).toBe(once);
      }),
      { numRuns: 500 },
    );
  });

  test("parse(canonical(x)) keeps every value, including big integers", () => {
    fc.assert(
      fc.property(number, (n) => {
        const c = canonicalNumber(n.lit);
        expect(n.check(c)).toBe(true);
        const back = parseJson(canonicalize([new JsonNumber(n.lit)])) as JsonNumber[];
        expect(n.check((back[0] as JsonNumber).text)).toBe(true);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (s) => {
        expect(parseJson(canonicalString(s))).toBe(s);
      }),
      { numRuns: 2000 },
    );
  });

  test("canonical text is what a standard JSON parser reads back for plain values", () => {
    fc.assert(
      fc.property(fc.jsonValue({ noUnicodeString: false }), (v) => {
        const c = canonicalize(parseJson(JSON.stringify(v)));
        expect(JSON.parse(c)).toEqual(JSON.parse(JSON.stringify(v)));
      }),
      { numRuns: 500 },
    );
  });

  test("key order equals UTF-8 byte order", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: "grapheme" }), { maxLength: 20 }), (keys) => {
        const ours = [...keys].sort(compareKeys);
        const bytes = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
        expect(ours).toEqual(bytes);
      }),
    );
  });
});

describe("native and hand-written parsers agree", () => {
  test("on arbitrary documents, including big integers and odd keys", () => {
    fc.assert(
      fc.property(jsonTree, (v) => {
        const text = canonicalize(v);
        expect(canonicalize(parseJsonStrict(text))).toBe(text);
        expect(canonicalize(parseJson(text))).toBe(text);
        expect(Object.getPrototypeOf(parseJson(`{"a":{"b":${text}}}`))).toBe(null);
      }),
      { numRuns: 500 },
    );
  });
});
