/** The #fragment grammar and get/merge application (agent/state/parts.ts), pure unit tests. */
import { describe, expect, test } from "bun:test";
import { PvrError } from "../agent/errors";
import { canonicalize } from "../agent/state/canonical";
import { parseJson } from "../agent/state/json";
import type { State } from "../agent/state/model";
import { applyGet, applyMerge, inPart, parseFragment, parseRef, selectParts, splitRef, withRenames } from "../agent/state/parts";

const A = "a".repeat(64);
const B = "b".repeat(64);
const C = "c".repeat(64);
const D = "d".repeat(64);
const st = (o: Record<string, unknown>): State => parseJson(JSON.stringify(o)) as State;
const canon = (s: State) => JSON.parse(canonicalize(s));
const usageError = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(PvrError);
    expect((err as PvrError).code).toBe("usage");
    return;
  }
  throw new Error("expected a usage error");
};

describe("grammar", () => {
  test("splitRef keeps later # in the fragment", () => {
    expect(splitRef("/x/y")).toEqual({ base: "/x/y", fragment: "" });
    expect(splitRef("/x#a,b#c")).toEqual({ base: "/x", fragment: "a,b#c" });
  });
  test("parts and -parts; trailing slashes dropped", () => {
    expect(parseFragment("")).toEqual({ include: [], exclude: [] });
    expect(parseFragment("bsp,_config/pvr-sdk/,-app")).toEqual({ include: ["bsp", "_config/pvr-sdk"], exclude: ["app"] });
    expect(parseRef("../r#bsp").parts.include).toEqual(["bsp"]);
  });
  test("empty items, bare '-', traversal and #spec are usage errors", () => {
    usageError(() => parseFragment("a,,b"));
    usageError(() => parseFragment("-"));
    usageError(() => parseFragment("../etc"));
    usageError(() => parseFragment("#spec"));
  });
  test("inPart: the part itself or below it, never a sibling with the same prefix", () => {
    expect(inPart("app", "app")).toBe(true);
    expect(inPart("app/run.json", "app")).toBe(true);
    expect(inPart("app2/run.json", "app")).toBe(false);
    expect(inPart("app.json", "app")).toBe(false);
  });
  test("renames need one name per part", () => {
    expect(withRenames(parseFragment("a,b"), "c,d").rename).toEqual(["c", "d"]);
    usageError(() => withRenames(parseFragment("a,b"), "c"));
    usageError(() => withRenames(parseFragment("a"), "-c"));
  });
});

const local = st({
  "#spec": "pantavisor-service-system@1",
  "app/root.squashfs": A,
  "app/run.json": { name: "app", cfg: { x: 1, y: 2 } },
  "app2/root.squashfs": B,
  "app.json": { keep: true },
  "bsp/kernel.img": C,
});
const incoming = st({
  "#spec": "pantavisor-multi-platform@1",
  "app/run.json": { name: "app", cfg: { x: 9, y: null }, extra: 1 },
  "app/new.bin": D,
  "bsp/kernel.img": D,
  "other/file": A,
});

describe("selectParts", () => {
  test("no parts: everything including #spec", () => {
    expect(canon(selectParts(incoming, parseFragment("")))).toEqual(canon(incoming));
  });
  test("with parts: those keys only, no #spec; -part removes", () => {
    expect(Object.keys(selectParts(incoming, parseFragment("app"))).sort()).toEqual(["app/new.bin", "app/run.json"]);
    expect(Object.keys(selectParts(incoming, parseFragment("-app"))).sort()).toEqual(["#spec", "bsp/kernel.img", "other/file"]);
  });
  test("renames move a part's keys under the new name", () => {
    const s = selectParts(incoming, withRenames(parseFragment("app,other/file"), "app3,moved"));
    expect(canon(s)).toEqual({ "app3/new.bin": D, "app3/run.json": canon(incoming)["app/run.json"], moved: A });
  });
});

describe("applyGet", () => {
  test("#app replaces app/ only; app2/ and app.json survive (Go bug 17.2 item 4)", () => {
    const r = canon(applyGet(local, incoming, parseFragment("app")));
    expect(r).toEqual({
      "#spec": "pantavisor-service-system@1",
      "app/new.bin": D,
      "app/run.json": { cfg: { x: 9, y: null }, extra: 1, name: "app" },
      "app2/root.squashfs": B,
      "app.json": { keep: true },
      "bsp/kernel.img": C,
    });
  });
  test("no parts: the whole incoming state, its #spec included", () => {
    expect(canon(applyGet(local, incoming))).toEqual(canon(incoming));
  });
  test("-part removes locally too and keeps app2", () => {
    const r = canon(applyGet(local, incoming, parseFragment("bsp,-app")));
    expect(Object.keys(r).sort()).toEqual(["#spec", "app.json", "app2/root.squashfs", "bsp/kernel.img"]);
    expect(r["bsp/kernel.img"]).toBe(D);
  });
  test("a part missing from the source removes it locally", () => {
    const r = canon(applyGet(local, st({ "#spec": "x" }), parseFragment("bsp")));
    expect(r["bsp/kernel.img"]).toBeUndefined();
    expect(r["#spec"]).toBe("pantavisor-service-system@1");
  });
  test("renames replace the destination part", () => {
    const r = canon(applyGet(local, incoming, withRenames(parseFragment("bsp"), "app2")));
    expect(r["app2/kernel.img"]).toBe(D);
    expect(r["app2/root.squashfs"]).toBeUndefined();
    expect(r["bsp/kernel.img"]).toBe(C);
  });
  test("a source without #spec still gives a #spec", () => {
    expect(canon(applyGet(local, st({ "x/y": A })))["#spec"]).toBe("pantavisor-service-system@1");
    expect(canon(applyGet(st({}), st({ "x/y": A })))["#spec"]).toBe("pantavisor-service-system@1");
  });
});

describe("applyMerge", () => {
  test("deep-merges inline JSON, keeps local keys, null deletes", () => {
    const r = canon(applyMerge(local, incoming, parseFragment("app")));
    expect(r["app/run.json"]).toEqual({ name: "app", cfg: { x: 9 }, extra: 1 });
    expect(r["app/root.squashfs"]).toBe(A);
    expect(r["app/new.bin"]).toBe(D);
    expect(r["bsp/kernel.img"]).toBe(C);
    expect(r["#spec"]).toBe("pantavisor-service-system@1");
  });
  test("no parts: everything merged, incoming #spec wins", () => {
    const r = canon(applyMerge(local, incoming));
    expect(r["#spec"]).toBe("pantavisor-multi-platform@1");
    expect(r["app2/root.squashfs"]).toBe(B);
    expect(r["other/file"]).toBe(A);
  });
  test("a null .json member deletes the local key", () => {
    const r = canon(applyMerge(local, st({ "app.json": null }), parseFragment("")));
    expect(r["app.json"]).toBeUndefined();
  });
  test("-part removes the local part and does not take it from the source", () => {
    const r = canon(applyMerge(local, incoming, parseFragment("-app")));
    expect(Object.keys(r).filter((k) => k.startsWith("app/"))).toEqual([]);
    expect(r["app2/root.squashfs"]).toBe(B);
  });
  test("does not mutate its inputs", () => {
    const before = canonicalize(local);
    applyMerge(local, incoming, parseFragment("app"));
    applyGet(local, incoming, parseFragment("app"));
    expect(canonicalize(local)).toBe(before);
  });
});
