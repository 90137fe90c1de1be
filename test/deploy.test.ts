/**
 * `pvr deploy` end to end through the real CLI: hard links into the store (same inode, 0444),
 * inline JSON, .pvr files, .pv boot links, atomic replacement, source order, tarball sources,
 * refusals that leave everything as it was, and the EXDEV copy fallback.
 */
import { describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { canonicalize } from "../agent/state/canonical";
import { isJsonObject, parseJson } from "../agent/state/json";
import { isInlineJson } from "../agent/state/model";
import { newRepo, pvrOk, runPvr, sha256, snapshotTree, tmpdir, writeTree } from "./helpers";

const BSP = {
  "bsp/run.json": '{"linux":"kernel.img","initrd":"pantavisor","fdt":"board.dtb","addons":[]}',
  "bsp/kernel.img": "KERNEL\n",
  "bsp/pantavisor": "INITRD\n",
  "bsp/board.dtb": "DTB\n",
};

function committed(files: Record<string, string>, spec?: string) {
  const { dir, objects } = newRepo();
  if (spec) writeFileSync(join(dir, ".pvr/json"), `{ "#spec": "${spec}" }`);
  writeTree(dir, files);
  pvrOk(dir, ["add", "."]);
  pvrOk(dir, ["commit"]);
  return { dir, objects, base: dirname(dir) };
}

const ino = (p: string) => statSync(p).ino;
const mode = (p: string) => statSync(p).mode & 0o777;

describe("deploy the current checkout", () => {
  test("objects are hard links of the store, inline JSON canonical, .pvr and .pv as specified", () => {
    const { dir, objects, base } = committed({ ...BSP, "app/root.squashfs": "SQUASH", "app/run.json": '{ "b": 1.50, "a": [1, null] }' });
    const trail = join(base, "trails", "0");
    const r = pvrOk(dir, ["deploy", trail]);
    expect(r.stdout).toContain(`Deployment finished. Now available at: ${trail}`);
    const state = parseJson(readFileSync(join(dir, ".pvr/json"), "utf8"));
    if (!isJsonObject(state)) throw new Error("bad state");
    for (const [key, value] of Object.entries(state)) {
      if (key === "#spec") continue;
      const p = join(trail, key);
      if (isInlineJson(key, value)) {
        expect(readFileSync(p, "utf8")).toBe(canonicalize(value));
      } else {
        expect(ino(p)).toBe(ino(join(objects, value as string)));
        expect(mode(p)).toBe(0o444);
      }
    }
    expect(readFileSync(join(trail, "app/run.json"), "utf8")).toBe('{"a":[1,null],"b":1.5E0}');
    expect(readFileSync(join(trail, ".pvr/json"), "utf8")).toBe(canonicalize(state));
    expect(readFileSync(join(trail, ".pvr/config"), "utf8")).toContain(`"ObjectsDir": "${objects}"`);
    expect(ino(join(trail, ".pv/pv-kernel.img"))).toBe(ino(join(objects, sha256("KERNEL\n"))));
    expect(ino(join(trail, ".pv/pv-initrd.img"))).toBe(ino(join(objects, sha256("INITRD\n"))));
    expect(ino(join(trail, ".pv/pv-fdt.dtb"))).toBe(ino(join(objects, sha256("DTB\n"))));
    expect(readdirSync(join(trail, ".pv")).sort()).toEqual(["pv-fdt.dtb", "pv-initrd.img", "pv-kernel.img"]);
    expect(readdirSync(join(base, "trails"))).toEqual(["0"]);
  });

  test("a fit image gives only .pv/pantavisor.fit", () => {
    const { dir, base } = committed({ "bsp/run.json": '{"fit":"pv.fit"}', "bsp/pv.fit": "FIT" });
    const trail = join(base, "t");
    pvrOk(dir, ["deploy", trail]);
    expect(readdirSync(join(trail, ".pv"))).toEqual(["pantavisor.fit"]);
    expect(ino(join(trail, ".pv/pantavisor.fit"))).toBe(ino(join(trail, "bsp/pv.fit")));
  });
});

describe("sources", () => {
  test("later sources replace the parts they bring; #parts and -parts select", () => {
    const a = committed({ ...BSP, "app/a": "A1", "app/b": "B1" });
    const b = committed({ "app/a": "A2" });
    const trail = join(tmpdir(), "trail");
    const files = () => snapshotTree(trail);
    pvrOk(a.dir, ["deploy", trail, a.dir, b.dir]);
    expect(files()["app/a"]).toBe(sha256("A2"));
    expect(files()["app/b"]).toBeUndefined();
    expect(files()["bsp/kernel.img"]).toBe(sha256("KERNEL\n"));
    pvrOk(a.dir, ["deploy", trail, b.dir, a.dir]);
    expect(files()["app/a"]).toBe(sha256("A1"));
    expect(files()["app/b"]).toBe(sha256("B1"));
    pvrOk(a.dir, ["deploy", trail, `${a.dir}#bsp`, b.dir]);
    expect(Object.keys(files()).filter((k) => !k.startsWith(".")).sort()).toEqual(
      ["app", "app/a", "bsp", "bsp/board.dtb", "bsp/kernel.img", "bsp/pantavisor", "bsp/run.json"].sort(),
    );
    pvrOk(a.dir, ["deploy", trail, a.dir, `${b.dir}#-app`]);
    expect(files().app).toBeUndefined();
  });

  test("#spec comes from the sources (the last one wins), never empty", () => {
    const a = committed({ "x/f": "1" });
    const b = committed({ "y/f": "2" }, "pantavisor-multi-platform@1");
    const trail = join(tmpdir(), "trail");
    const r = pvrOk(a.dir, ["deploy", trail, a.dir, b.dir]);
    expect(r.stderr).toContain("WARNING");
    expect(JSON.parse(readFileSync(join(trail, ".pvr/json"), "utf8"))["#spec"]).toBe("pantavisor-multi-platform@1");
  });

  test("an export tarball deploys into a fresh store, objects verified on the way", () => {
    const a = committed({ ...BSP, "app/x": "X" });
    const tgz = join(a.base, "a.tgz");
    pvrOk(a.dir, ["export", tgz]);
    const other = tmpdir();
    const store = join(other, "objects");
    const trail = join(other, "trail");
    mkdirSync(join(other, "cwd"));
    pvrOk(join(other, "cwd"), ["deploy", "--objects", store, trail, tgz]);
    expect(ino(join(trail, "app/x"))).toBe(ino(join(store, sha256("X"))));
    expect(readFileSync(join(trail, ".pvr/json"))).toEqual(readFileSync(join(a.dir, ".pvr/json")));
  });
});

describe("replacement and refusals", () => {
  test("an existing deployment is replaced as a whole; no temp dirs are left", () => {
    const a = committed({ ...BSP, "app/x": "X", "app/y": "Y" });
    const trail = join(a.base, "trail");
    pvrOk(a.dir, ["deploy", trail]);
    const oldIno = ino(trail);
    writeFileSync(join(a.dir, "app/x"), "X2");
    pvrOk(a.dir, ["commit"]);
    pvrOk(a.dir, ["deploy", trail]);
    expect(ino(trail)).not.toBe(oldIno);
    expect(readFileSync(join(trail, "app/x"), "utf8")).toBe("X2");
    expect(readdirSync(a.base).filter((n) => n.startsWith("trail")).sort()).toEqual(["trail"]);
  });

  test("a failing deploy leaves the existing deployment and the store untouched", () => {
    const a = committed({ ...BSP, "app/x": "X" });
    const trail = join(a.base, "trail");
    pvrOk(a.dir, ["deploy", trail]);
    const before = snapshotTree(trail);
    const beforeIno = ino(trail);
    writeFileSync(join(a.dir, "bsp/run.json"), '{"linux":"missing.img","initrd":"pantavisor"}');
    pvrOk(a.dir, ["commit"]);
    const storeBefore = snapshotTree(a.objects);
    const r = runPvr(a.dir, ["deploy", trail]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("bsp/missing.img");
    expect(snapshotTree(trail)).toEqual(before);
    expect(ino(trail)).toBe(beforeIno);
    expect(snapshotTree(a.objects)).toEqual(storeBefore);
    expect(readdirSync(a.base).filter((n) => n.startsWith("trail"))).toEqual(["trail"]);
  });

  test("refuses a non-empty directory that is not a deployment, and a state with a file/dir clash", async () => {
    const a = committed({ ...BSP });
    const victim = join(a.base, "victim");
    writeTree(victim, { "precious.txt": "keep me" });
    const r = runPvr(a.dir, ["deploy", victim]);
    expect(r.code).not.toBe(0);
    expect(snapshotTree(victim)).toEqual({ "precious.txt": sha256("keep me") });

    const { tarHeader } = await import("../agent/remote/tarball");
    const body = "o";
    const json = JSON.stringify({ "#spec": "x@1", a: sha256(body), "a/b": sha256(body) });
    const pad = (n: number) => Buffer.alloc((512 - (n % 512)) % 512);
    const tar = Buffer.concat([
      tarHeader("json", json.length, 0o600), Buffer.from(json), pad(json.length),
      tarHeader(`objects/${sha256(body)}`, 1, 0o644), Buffer.from(body), pad(1), Buffer.alloc(1024),
    ]);
    const file = join(a.base, "clash.tar");
    writeFileSync(file, tar);
    const r2 = runPvr(a.dir, ["deploy", join(a.base, "clash"), file]);
    expect(r2.code).not.toBe(0);
    expect(r2.stderr).toContain("both a file and the directory");
    expect(readdirSync(a.base).filter((n) => n.startsWith("clash"))).toEqual(["clash.tar"]);
  });
});

describe("EXDEV fallback", () => {
  const shm = "/dev/shm";
  let usable = false;
  try {
    usable = statSync(shm).isDirectory() && statSync(shm).dev !== statSync(tmpdir()).dev;
  } catch {}
  test.skipIf(!usable)("objects on another filesystem are copied (0444, verified) with a warning", () => {
    const a = committed({ ...BSP, "app/x": "X" });
    const store = join(shm, `pvr-test-objects-${process.pid}-${Date.now()}`);
    const trail = join(a.base, "trail");
    const r = pvrOk(a.dir, ["deploy", "--objects", store, trail]);
    expect(r.stderr).toContain("copied instead of hard-linked");
    expect(readFileSync(join(trail, "app/x"), "utf8")).toBe("X");
    expect(mode(join(trail, "app/x"))).toBe(0o444);
    expect(ino(join(trail, "app/x"))).not.toBe(ino(join(store, sha256("X"))));
    Bun.spawnSync(["rm", "-rf", store]);
  });
});
