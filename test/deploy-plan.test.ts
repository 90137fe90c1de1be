/** The pure half of deploy: source merging, the step plan, and `.pv/` boot links. */
import { describe, expect, test } from "bun:test";
import { bootLinks } from "../agent/deploy/bootlinks";
import { mergeSources, partOf, planDeploy } from "../agent/deploy/plan";
import { PvrError } from "../agent/errors";
import { canonicalize } from "../agent/state/canonical";
import { type JsonValue, parseJson } from "../agent/state/json";
import type { State } from "../agent/state/model";
import { NO_PARTS, parseFragment } from "../agent/state/parts";

const S = (n: number) => n.toString(16).padStart(64, "0");
const st = (o: Record<string, unknown>): State => parseJson(JSON.stringify(o)) as State;
const all = () => true;

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof PvrError) return err.code;
    throw err;
  }
  return "none";
}

describe("mergeSources", () => {
  test("partOf: first segment, _config/<app>, standalone top-level files and signatures", () => {
    expect(partOf("app/run.json")).toBe("app");
    expect(partOf("_config/app/etc/x.conf")).toBe("_config/app");
    expect(partOf("_sigs/app.json")).toBe("_sigs/app.json");
    expect(partOf("device.json")).toBe("device.json");
  });

  test("a later source replaces the parts it brings and keeps the others", () => {
    const a = st({ "#spec": "x@1", "app/a": S(1), "app/b": S(2), "bsp/k": S(3), "_sigs/bsp.json": { s: 1 } });
    const b = st({ "#spec": "x@1", "app/a": S(4), "_sigs/app.json": { s: 2 } });
    const { state } = mergeSources([
      { label: "a", state: a, parts: NO_PARTS },
      { label: "b", state: b, parts: NO_PARTS },
    ]);
    expect(canonicalize(state)).toBe(
      canonicalize(st({ "#spec": "x@1", "_sigs/app.json": { s: 2 }, "_sigs/bsp.json": { s: 1 }, "app/a": S(4), "bsp/k": S(3) })),
    );
  });

  test("#parts select, -parts remove, #spec is the last non-empty one or the default", () => {
    const a = st({ "#spec": "", "app/a": S(1), "bsp/k": S(3) });
    const b = st({ "#spec": "y@1", "app/a": S(4), "other/o": S(5) });
    const r1 = mergeSources([
      { label: "a", state: a, parts: NO_PARTS },
      { label: "b", state: b, parts: parseFragment("app") },
    ]);
    expect(Object.keys(r1.state).sort()).toEqual(["#spec", "app/a", "bsp/k"]);
    expect(r1.state["app/a"]).toBe(S(4));
    expect(r1.state["#spec"]).toBe("y@1");
    const r2 = mergeSources([
      { label: "a", state: a, parts: NO_PARTS },
      { label: "b", state: b, parts: parseFragment("-app") },
    ]);
    expect(Object.keys(r2.state).sort()).toEqual(["#spec", "bsp/k", "other/o"]);
    expect(mergeSources([{ label: "a", state: a, parts: NO_PARTS }]).state["#spec"]).toBe("pantavisor-service-system@1");
  });
});

describe("planDeploy", () => {
  const state = st({ "#spec": "x@1", "bsp/run.json": { linux: "k", initrd: "i" }, "bsp/k": S(1), "bsp/i": S(2), "a/b/c.bind": S(3) });

  test("steps: parent dirs first, links, inline JSON canonical, .pvr files, boot links", () => {
    const plan = planDeploy(state, { objectsDir: "/objs", has: all });
    const kinds = plan.steps.map((s) => `${s.kind} ${s.path}`);
    expect(kinds).toEqual([
      "mkdir a",
      "mkdir a/b",
      "mkdir bsp",
      "copy a/b/c.bind",
      "link bsp/i",
      "link bsp/k",
      "write bsp/run.json",
      "mkdir .pvr",
      "write .pvr/json",
      "write .pvr/config",
      "mkdir .pv",
      "bootlink .pv/pv-kernel.img",
      "bootlink .pv/pv-initrd.img",
    ]);
    const run = plan.steps.find((s) => s.path === "bsp/run.json");
    expect(run && "text" in run ? run.text : "").toBe('{"initrd":"i","linux":"k"}');
  });

  test("refuses file/dir clashes, .pv keys, unsafe keys and missing objects before any step", () => {
    expect(code(() => planDeploy(st({ "#spec": "x", a: S(1), "a/b": S(2) }), { objectsDir: "/o", has: all }))).toBe("badState");
    expect(code(() => planDeploy(st({ "#spec": "x", ".pv/pv-kernel.img": S(1) }), { objectsDir: "/o", has: all }))).toBe("unsafe");
    expect(code(() => planDeploy(st({ "#spec": "x", "../x": S(1) }), { objectsDir: "/o", has: all }))).toBe("unsafe");
    expect(code(() => planDeploy(st({ "#spec": "x", "a/b": S(1) }), { objectsDir: "/o", has: () => false }))).toBe("notFound");
    expect(code(() => planDeploy(st({ "#spec": "", "a/b": S(1) }), { objectsDir: "/o", has: all }))).toBe("badState");
  });
});

describe("bootLinks", () => {
  const links = (run: JsonValue | undefined, extra: Record<string, unknown> = {}) =>
    bootLinks(st({ "#spec": "x", ...(run === undefined ? {} : { "bsp/run.json": run }), ...extra })).links.map((l) => `${l.link}=${l.target}`);

  test("fit wins; otherwise linux (or kernel, or kernel.img), initrd (or pantavisor), optional fdt", () => {
    expect(links({ fit: "p.fit", linux: "k" }, { "bsp/p.fit": S(1), "bsp/k": S(2) })).toEqual([".pv/pantavisor.fit=bsp/p.fit"]);
    expect(links({ linux: "k", initrd: "i", fdt: "d.dtb" }, { "bsp/k": S(1), "bsp/i": S(2), "bsp/d.dtb": S(3) })).toEqual([
      ".pv/pv-kernel.img=bsp/k",
      ".pv/pv-initrd.img=bsp/i",
      ".pv/pv-fdt.dtb=bsp/d.dtb",
    ]);
    expect(links({ kernel: "z" }, { "bsp/z": S(1), "bsp/pantavisor": S(2) })).toEqual([".pv/pv-kernel.img=bsp/z", ".pv/pv-initrd.img=bsp/pantavisor"]);
    expect(links({}, { "bsp/kernel.img": S(1), "bsp/pantavisor": S(2) })).toEqual([".pv/pv-kernel.img=bsp/kernel.img", ".pv/pv-initrd.img=bsp/pantavisor"]);
  });

  test("no run.json is a warning; a missing or unsafe boot file is an error", () => {
    const r = bootLinks(st({ "#spec": "x" }));
    expect(r.links).toEqual([]);
    expect(r.warnings.length).toBe(1);
    expect(code(() => bootLinks(st({ "#spec": "x", "bsp/run.json": { linux: "k", initrd: "i" }, "bsp/k": S(1) })))).toBe("badState");
    expect(code(() => bootLinks(st({ "#spec": "x", "bsp/run.json": { fit: "../../etc/passwd" } })))).toBe("unsafe");
  });
});
