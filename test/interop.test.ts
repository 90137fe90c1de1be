/**
 * Interop with states from the wild (../shared/fixtures/pantavisor): each state, with objects
 * we create for its object keys, is checked out by the engine and committed again, both in the
 * same checkout and from a fresh `init; add; commit` of the checked-out files, and must come
 * back as identical canonical bytes.
 */
import { describe, expect, test } from "bun:test";
import { cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { canonicalize } from "../agent/state/canonical";
import { isJsonObject, type JsonObject, type JsonValue, parseJson } from "../agent/state/json";
import { isInlineJson } from "../agent/state/model";
import { FIXTURES, newRepo, pvrOk, sha256 } from "./helpers";

const dir = join(FIXTURES, "pantavisor");

/** The Go tool's pruneNulls, written independently: nulls vanish from objects and arrays. */
function withoutNulls(v: JsonValue): JsonValue {
  if (Array.isArray(v)) return v.filter((x) => x !== null).map(withoutNulls);
  if (isJsonObject(v)) {
    const o: JsonObject = Object.create(null);
    for (const [k, x] of Object.entries(v)) if (x !== null) o[k] = withoutNulls(x);
    return o;
  }
  return v;
}
const states = readdirSync(dir).filter((f) => f.endsWith(".json"));

describe("fixture states round-trip through checkout and commit", () => {
  test("there are fixtures to check", () => expect(states.length).toBeGreaterThanOrEqual(5));

  for (const name of states) {
    test(name, () => {
      const state = parseJson(readFileSync(join(dir, name), "utf8")) as JsonObject;
      const { dir: repo, objects } = newRepo();
      let objectCount = 0;
      for (const [k, v] of Object.entries(state)) {
        if (k === "#spec" || isInlineJson(k, v)) continue;
        const content = `object for ${k} (${v})\n`;
        state[k] = sha256(content);
        writeFileSync(join(objects, sha256(content)), content);
        objectCount++;
      }
      const canonical = canonicalize(state);
      writeFileSync(join(repo, ".pvr/json"), canonical);

      pvrOk(repo, ["checkout"]);
      expect(pvrOk(repo, ["status"]).stdout).toBe("");
      pvrOk(repo, ["commit"]);
      expect(readFileSync(join(repo, ".pvr/json"), "utf8")).toBe(canonical);

      // the checked-out files alone rebuild the same state; the Go tool (--compat-go) would
      // drop the nulls that some of these documents hold (spec 5.5), and nothing else
      const goExpected = canonicalize(withoutNulls(parseJson(canonical)));
      for (const [mode, want] of [[[], canonical] as const, [["--compat-go"], goExpected] as const]) {
        const { dir: fresh } = newRepo();
        cpSync(repo, fresh, { recursive: true, filter: (src) => !src.includes("/.pvr") });
        pvrOk(fresh, ["add", "."]);
        pvrOk(fresh, ["commit", ...mode]);
        expect(readFileSync(join(fresh, ".pvr/json"), "utf8")).toBe(want);
      }
      expect(objectCount).toBeGreaterThan(0);
    });
  }
});

test("a Go checkout without .pvr/config, or with a relative ObjectsDir, uses the Go tool's object paths", () => {
  const { dir: repo } = newRepo({ "x.txt": "x" });
  rmSync(join(repo, ".pvr/config"));
  pvrOk(repo, ["add"]);
  pvrOk(repo, ["commit"]);
  expect(readFileSync(join(repo, ".pvr/objects", sha256("x")), "utf8")).toBe("x");

  writeFileSync(join(repo, ".pvr/config"), '{"DefaultGetUrl":"","ObjectsDir":"../shared-objects","AccessTokens":{}}');
  writeFileSync(join(repo, "y.txt"), "y");
  pvrOk(repo, ["add", "y.txt"]);
  pvrOk(repo, ["commit"]);
  expect(readFileSync(join(repo, "..", "shared-objects", sha256("y")), "utf8")).toBe("y");
});
