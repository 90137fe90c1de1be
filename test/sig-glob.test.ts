/**
 * The doublestar v1.3.4 matcher against the library's own Match test table (pattern, name,
 * expected match, expected bad-pattern error), plus the pvs selection patterns seen in real
 * signatures.
 */
import { describe, expect, test } from "bun:test";
import { GlobError, globMatch, globMatches, globProblem } from "../agent/trust/pvs/glob";

// [pattern, name, match, error]; from bmatcuk/doublestar v1.3.4 doublestar_test.go matchTests
const TABLE: [string, string, boolean, boolean][] = [
  ["*", "", true, false], ["*", "/", false, false], ["/*", "/", true, false], ["/*", "/debug/", false, false],
  ["/*", "//", false, false], ["abc", "abc", true, false], ["*", "abc", true, false], ["*c", "abc", true, false],
  ["*/", "a/", true, false], ["a*", "a", true, false], ["a*", "abc", true, false], ["a*", "ab/c", false, false],
  ["a*/b", "abc/b", true, false], ["a*/b", "a/c/b", false, false], ["a*b*c*d*e*", "axbxcxdxe", true, false],
  ["a*b*c*d*e*/f", "axbxcxdxe/f", true, false], ["a*b*c*d*e*/f", "axbxcxdxexxx/f", true, false],
  ["a*b*c*d*e*/f", "axbxcxdxe/xxx/f", false, false], ["a*b*c*d*e*/f", "axbxcxdxexxx/fff", false, false],
  ["a*b?c*x", "abxbbxdbxebxczzx", true, false], ["a*b?c*x", "abxbbxdbxebxczzy", false, false],
  ["ab[c]", "abc", true, false], ["ab[b-d]", "abc", true, false], ["ab[e-g]", "abc", false, false],
  ["ab[^c]", "abc", false, false], ["ab[^b-d]", "abc", false, false], ["ab[^e-g]", "abc", true, false],
  ["a\\*b", "ab", false, false], ["a?b", "a☺b", true, false], ["a[^a]b", "a☺b", true, false],
  ["a???b", "a☺b", false, false], ["a[^a][^a][^a]b", "a☺b", false, false], ["[a-ζ]*", "α", true, false],
  ["*[a-ζ]", "A", false, false], ["a?b", "a/b", false, false], ["a*b", "a/b", false, false],
  ["[\\]a]", "]", true, false], ["[\\-]", "-", true, false], ["[x\\-]", "x", true, false], ["[x\\-]", "-", true, false],
  ["[x\\-]", "z", false, false], ["[\\-x]", "x", true, false], ["[\\-x]", "-", true, false], ["[\\-x]", "a", false, false],
  ["[]a]", "]", false, true], ["[-]", "-", false, true], ["[x-]", "x", false, true], ["[x-]", "-", false, true],
  ["[x-]", "z", false, true], ["[-x]", "x", false, true], ["[-x]", "-", false, true], ["[-x]", "a", false, true],
  ["\\", "a", false, true], ["[a-b-c]", "a", false, true], ["[", "a", false, true], ["[^", "a", false, true],
  ["[^bc", "a", false, true], ["a[", "a", false, false], ["a[", "ab", false, true], ["*x", "xxx", true, false],
  ["[abc]", "b", true, false], ["a/**", "a", false, false], ["a/**", "a/b", true, false], ["a/**", "a/b/c", true, false],
  ["**/c", "c", true, false], ["**/c", "b/c", true, false], ["**/c", "a/b/c", true, false], ["**/c", "a/b", false, false],
  ["**/c", "abcd", false, false], ["**/c", "a/abc", false, false], ["a/**/b", "a/b", true, false],
  ["a/**/c", "a/b/c", true, false], ["a/**/d", "a/b/c/d", true, false], ["a/\\**", "a/b/c", false, false],
  ["a//b/c", "a/b/c", false, false], ["a/b/c", "a/b//c", false, false], ["a/", "a", false, false],
  ["ab{c,d}", "abc", true, false], ["ab{c,d,*}", "abcde", true, false], ["ab{c,d}[", "abcd", false, true],
  ["a{,bc}", "a", true, false], ["a{,bc}", "abc", true, false], ["a/{b/c,c/b}", "a/b/c", true, false],
  ["a/{b/c,c/b}", "a/c/b", true, false], ["{a/{b,c},abc}", "a/b", true, false], ["{a/{b,c},abc}", "a/c", true, false],
  ["{a/{b,c},abc}", "abc", true, false], ["{a/{b,c},abc}", "a/b/c", false, false], ["{a/ab*}", "a/abc", true, false],
  ["{a/*}", "a/b", true, false], ["{a/abc}", "a/abc", true, false], ["{a/b,a/c}", "a/c", true, false],
  ["abc/**", "abc/b", true, false], ["**/abc", "abc", true, false], ["abc**", "abc/b", false, false],
  ["**/*.txt", "abc/【test】.txt", true, false], ["**/【*", "abc/【test】.txt", true, false],
];

describe("doublestar v1.3.4 Match table", () => {
  for (const [pattern, name, match, err] of TABLE) {
    test(`${JSON.stringify(pattern)} vs ${JSON.stringify(name)}`, () => {
      if (err) expect(() => globMatch(pattern, name)).toThrow(GlobError);
      else expect(globMatch(pattern, name)).toBe(match);
      expect(globMatches(pattern, name)).toBe(match);
    });
  }
});

describe("pvs selections", () => {
  test("part globs", () => {
    expect(globMatch("pvr-sdk/**", "pvr-sdk/lxc.container.conf")).toBe(true);
    expect(globMatch("pvr-sdk/**", "pvr-sdk")).toBe(false);
    expect(globMatch("pvr-sdk/**", "pvr-sdk2/x")).toBe(false);
    expect(globMatch("_config/pvr-sdk/**", "_config/pvr-sdk/etc/pvr-sdk/config.json")).toBe(true);
    expect(globMatch("#spec", "#spec")).toBe(true);
    expect(globMatch("src.json", "pvr-sdk/src.json")).toBe(false);
    expect(globMatch("**", "a/b/c")).toBe(true);
    expect(globMatch("*", "a/b")).toBe(false);
  });
  test("syntax problems are found before signing", () => {
    expect(globProblem("a/[bc")).toBe("unclosed '['");
    expect(globProblem("a/{b,c")).toBe("unclosed '{'");
    expect(globProblem("a\\")).toBe("trailing backslash");
    expect(globProblem("a/{b,c}/**/[x-z]*")).toBeNull();
  });
});
