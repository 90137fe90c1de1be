/**
 * get, merge, clone, put and inspect end to end through the real CLI: local checkouts,
 * repository directories written by put, tarballs, parts, renames, remembered refs, and the
 * refusals (traversal keys, corrupt objects, unreachable remotes) that must leave everything unchanged.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { newRepo, pvrOk, runPvr, sha256, snapshotTree, tmpdir, writeTree } from "./helpers";

const read = (...p: string[]) => readFileSync(join(...p), "utf8");
const cfg = (dir: string) => JSON.parse(read(dir, ".pvr/config"));
const state = (dir: string) => JSON.parse(read(dir, ".pvr/json"));

const FILES = {
  "bsp/kernel.img": "kernel v1\n",
  "app/root.squashfs": "app rootfs\n",
  "app/run.json": '{"name":"app","cfg":{"a":1,"b":2}}',
  "app2/root.squashfs": "app2 rootfs\n",
  "app.json": '{"top":true}',
};

/** A committed checkout `<base>/src` (shared store `<base>/.pvrcfg/objects`). */
function source(files: Record<string, string> = FILES): string {
  const { dir } = newRepo(files);
  pvrOk(dir, ["add", "."]);
  pvrOk(dir, ["commit", "-m", "src"]);
  return dir;
}

/** Clones `ref` into `<fresh tmp>/dst` with its own object store; returns the checkout dir. */
function cloneInto(ref: string, extra: string[] = []): { dir: string; objects: string } {
  const base = tmpdir();
  const objects = join(base, "objs");
  const r = pvrOk(base, ["clone", "-o", objects, ...extra, ref, "dst"], { PVR_CONFIG_DIR: join(base, ".pvrcfg") });
  expect(r.stdout).toBe(`Successfully cloned: ${join(base, "dst")}\n`);
  return { dir: join(base, "dst"), objects };
}

function commitIn(dir: string, files: Record<string, string>): void {
  writeTree(dir, files);
  pvrOk(dir, ["add", "."]);
  pvrOk(dir, ["commit"]);
}

describe("clone and get from another checkout", () => {
  test("clone copies the state and verified objects, checks out, remembers the source", () => {
    const src = source();
    const { dir, objects } = cloneInto(src);
    expect(read(dir, ".pvr/json")).toBe(read(src, ".pvr/json"));
    for (const [p, c] of Object.entries(FILES)) if (!p.endsWith(".json")) expect(read(dir, p)).toBe(c);
    expect(JSON.parse(read(dir, "app/run.json"))).toEqual(JSON.parse(FILES["app/run.json"]));
    expect(existsSync(join(objects, sha256("kernel v1\n")))).toBe(true);
    expect(cfg(dir)).toMatchObject({ DefaultGetUrl: src, DefaultPutUrl: "", DefaultPostUrl: "", ObjectsDir: objects });
    expect(pvrOk(dir, ["status"]).stdout).toBe("");
    expect(readdirSync(join(dir, "..")).filter((n) => n.startsWith("pvr-clone-"))).toEqual([]);
  });

  test("clone #parts keeps the --spec and takes only those parts", () => {
    const src = source();
    const { dir } = cloneInto(`${src}#bsp,app`, ["--spec", "custom@1"]);
    expect(Object.keys(state(dir)).sort()).toEqual(["#spec", "app/root.squashfs", "app/run.json", "bsp/kernel.img"]);
    expect(state(dir)["#spec"]).toBe("custom@1");
    expect(existsSync(join(dir, "app2"))).toBe(false);
  });

  test("get #app replaces app/ only (not app2/ or app.json); files change only at checkout", () => {
    const src = source();
    const { dir } = cloneInto(src);
    commitIn(dir, { "app2/root.squashfs": "local app2\n", "mine.txt": "mine\n" });
    commitIn(src, { "app/root.squashfs": "app rootfs v2\n", "app2/root.squashfs": "remote app2 v2\n" });
    const r = pvrOk(dir, ["get", `${src}#app`]);
    expect(r.stdout).toBe(`\nImported 1 objects to ${join(dir, "..", "objs")}\n\n\nRun pvr checkout to checkout the changed files into the workspace.\n`);
    const s = state(dir);
    expect(s["app/root.squashfs"]).toBe(sha256("app rootfs v2\n"));
    expect(s["app2/root.squashfs"]).toBe(sha256("local app2\n"));
    expect(s["mine.txt"]).toBe(sha256("mine\n"));
    expect(s["app.json"]).toEqual({ top: true });
    expect(read(dir, "app/root.squashfs")).toBe("app rootfs\n");
    pvrOk(dir, ["checkout"]);
    expect(read(dir, "app/root.squashfs")).toBe("app rootfs v2\n");
    expect(cfg(dir).DefaultGetUrl).toBe(`${src}#app`);
  });

  test("get without an argument uses DefaultGetUrl (with its fragment); get -part removes", () => {
    const src = source();
    const { dir } = cloneInto(`${src}#bsp`);
    commitIn(src, { "bsp/kernel.img": "kernel v2\n" });
    pvrOk(dir, ["get"]);
    expect(state(dir)["bsp/kernel.img"]).toBe(sha256("kernel v2\n"));
    expect(state(dir)["app/run.json"]).toBeUndefined();
    const c = cfg(dir);
    c.DefaultGetUrl = `${relative(dir, src)}#app`;
    writeFileSync(join(dir, ".pvr/config"), JSON.stringify(c, null, "\t"));
    pvrOk(join(dir, "bsp"), ["get"]);
    expect(state(dir)["app/root.squashfs"]).toBe(sha256("app rootfs\n"));
    pvrOk(dir, ["get", `${src}#-bsp`]);
    expect(Object.keys(state(dir)).filter((k) => k.startsWith("bsp/"))).toEqual([]);
    expect(state(dir)["app2/root.squashfs"]).toBe(sha256("app2 rootfs\n"));
  });

  test("get --as renames a part", () => {
    const src = source();
    const { dir } = cloneInto(`${src}#bsp`);
    pvrOk(dir, ["get", "--as", "app9", `${src}#app`]);
    expect(state(dir)["app9/root.squashfs"]).toBe(sha256("app rootfs\n"));
    expect(state(dir)["app/root.squashfs"]).toBeUndefined();
    expect(runPvr(dir, ["get", "--as", "x,y", `${src}#app`]).code).toBe(2);
  });

  test("merge deep-merges inline JSON and keeps local-only keys", () => {
    const src = source();
    const { dir } = cloneInto(src);
    commitIn(dir, { "app/run.json": '{"name":"app","cfg":{"a":1,"b":2,"local":3}}', "mine.txt": "mine\n" });
    commitIn(src, { "app/run.json": '{"name":"app","cfg":{"a":5,"b":null}}' });
    pvrOk(dir, ["merge", `${src}#app`]);
    expect(state(dir)["app/run.json"]).toEqual({ name: "app", cfg: { a: 5, local: 3 } });
    expect(state(dir)["mine.txt"]).toBe(sha256("mine\n"));
    const g = state(dir);
    pvrOk(dir, ["get", `${src}#app`]);
    expect(state(dir)["app/run.json"]).toEqual({ name: "app", cfg: { a: 5, b: null } });
    expect(state(dir)["mine.txt"]).toBe(g["mine.txt"]);
  });
});

describe("put and inspect", () => {
  test("put writes json and verified objects; clone from the put directory", () => {
    const src = source();
    const out = join(tmpdir(), "exported");
    pvrOk(src, ["push", out]);
    expect(read(out, "json")).toBe(read(src, ".pvr/json"));
    const objs = readdirSync(join(out, "objects")).filter((n) => !n.startsWith("."));
    expect(objs.sort()).toEqual([sha256("app rootfs\n"), sha256("app2 rootfs\n"), sha256("kernel v1\n")].sort());
    expect(cfg(src)).toMatchObject({ DefaultGetUrl: out, DefaultPutUrl: out, DefaultPostUrl: "" });
    const { dir } = cloneInto(out);
    expect(read(dir, ".pvr/json")).toBe(read(src, ".pvr/json"));
    expect(read(dir, "bsp/kernel.img")).toBe("kernel v1\n");
    commitIn(src, { "bsp/kernel.img": "kernel v3\n" });
    pvrOk(src, ["put"]);
    expect(JSON.parse(read(out, "json"))["bsp/kernel.img"]).toBe(sha256("kernel v3\n"));
  });

  test("put into another checkout replaces its .pvr/json and store, not its files", () => {
    const src = source();
    const { dir, objects } = cloneInto(`${src}#bsp`);
    commitIn(src, { "bsp/kernel.img": "kernel v4\n" });
    pvrOk(src, ["put", dir]);
    expect(read(dir, ".pvr/json")).toBe(read(src, ".pvr/json"));
    expect(read(objects, sha256("kernel v4\n"))).toBe("kernel v4\n");
    expect(read(dir, "bsp/kernel.img")).toBe("kernel v1\n");
    expect(existsSync(join(dir, "json"))).toBe(false);
  });

  test("put refuses a non-empty directory that is not a repository", () => {
    const src = source();
    const out = tmpdir();
    writeFileSync(join(out, "unrelated"), "x");
    const r = runPvr(src, ["put", out]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("refusing to put");
    expect(readdirSync(out)).toEqual(["unrelated"]);
  });

  test("inspect prints the committed state, a source's state, and #parts of it", () => {
    const src = source();
    const json = read(src, ".pvr/json");
    const tab = pvrOk(src, ["inspect"]).stdout;
    expect(tab).toContain('\t"bsp/kernel.img": ');
    expect(JSON.parse(tab)).toEqual(JSON.parse(json));
    expect(pvrOk(join(src, "bsp"), ["inspect", "-c"]).stdout).toBe(`${json}\n`);
    const other = tmpdir();
    expect(pvrOk(other, ["inspect", "-c", src]).stdout).toBe(`${json}\n`);
    expect(Object.keys(JSON.parse(pvrOk(other, ["inspect", `${src}#bsp`]).stdout)).sort()).toEqual(["#spec", "bsp/kernel.img"]);
  });
});

/** A plain repository directory holding `json` and the given objects. */
function plainRepo(json: unknown, objects: Record<string, string>): string {
  const dir = join(tmpdir(), "plain");
  mkdirSync(join(dir, "objects"), { recursive: true });
  writeFileSync(join(dir, "json"), JSON.stringify(json));
  for (const [name, content] of Object.entries(objects)) writeFileSync(join(dir, "objects", name), content);
  return dir;
}

describe("refusals leave everything unchanged", () => {
  test("a traversal key in a source state is rejected, naming the key", () => {
    const { dir, objects } = cloneInto(source());
    const evil = plainRepo({ "#spec": "x", "../evil": sha256("e"), "ok/file": sha256("o") }, { [sha256("e")]: "e", [sha256("o")]: "o" });
    const before = [snapshotTree(dir), snapshotTree(objects)];
    for (const cmd of ["get", "merge"]) {
      const r = runPvr(dir, [cmd, evil]);
      expect(r.code).toBe(13);
      expect(r.stderr).toContain('"../evil"');
    }
    expect([snapshotTree(dir), snapshotTree(objects)]).toEqual(before);
  });

  test("a corrupt object in the source store is reported by name and not installed", () => {
    const { dir, objects } = cloneInto(source());
    const good = sha256("good\n");
    const bad = sha256("expected\n");
    const src = plainRepo({ "#spec": "x", "bsp/kernel.img": bad, "bsp/good": good }, { [bad]: "tampered\n", [good]: "good\n" });
    const before = read(dir, ".pvr/json");
    const r = runPvr(dir, ["get", src]);
    expect(r.code).toBe(11);
    expect(r.stderr).toContain(bad);
    expect(r.stderr).toContain("bsp/kernel.img");
    expect(existsSync(join(objects, bad))).toBe(false);
    expect(read(dir, ".pvr/json")).toBe(before);
  });

  test("a missing source object is reported and nothing changes", () => {
    const { dir } = cloneInto(source());
    const before = snapshotTree(dir);
    const r = runPvr(dir, ["get", plainRepo({ "#spec": "x", "a/b": "f".repeat(64) }, {})]);
    expect(r.code).toBe(12);
    expect(r.stderr).toContain(`object ${"f".repeat(64)} (a/b) is missing`);
    expect(snapshotTree(dir)).toEqual(before);
  });

  test("unreachable remotes and unsupported schemes fail clearly and change nothing", () => {
    const { dir } = cloneInto(source());
    const before = snapshotTree(dir);
    const env = { PVR_HTTP_RETRIES: "1" };
    for (const ref of ["http://127.0.0.1:1/cgi-bin/pvr", "127.0.0.1:1#bsp", "nick/device"]) {
      const r = runPvr(dir, ["get", ref], { ...env, PVR_REPO_BASEURL: "http://127.0.0.1:1" });
      expect(r.code).toBe(3);
      expect(r.stderr).toContain("connection refused");
    }
    expect(runPvr(dir, ["get", "ftp://host/x"]).code).toBe(7);
    const base = tmpdir();
    const r = runPvr(base, ["clone", "127.0.0.1:1"], { ...env, PVR_CONFIG_DIR: join(base, ".pvrcfg") });
    expect(r.code).toBe(3);
    expect(readdirSync(base).filter((n) => n !== ".pvrcfg")).toEqual([]);
    expect(runPvr(dir, ["get", "/nonexistent/path"]).code).toBe(12);
    expect(snapshotTree(dir)).toEqual(before);
  });

  test("clone refuses a non-empty target before doing any work", () => {
    const src = source();
    const base = tmpdir();
    writeTree(base, { "dst/x": "x" });
    const r = runPvr(base, ["clone", "-o", join(base, "objs"), src, "dst"], { PVR_CONFIG_DIR: join(base, ".pvrcfg") });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("not an empty directory");
    expect(readdirSync(base).filter((n) => n !== ".pvrcfg")).toEqual(["dst"]);
  });
});

describe("export tarballs as sources", () => {
  test("get and clone from a tar made by GNU tar", () => {
    const src = source();
    const out = join(tmpdir(), "exported");
    pvrOk(src, ["put", out]);
    const objs = readdirSync(join(out, "objects")).filter((n) => !n.startsWith("."));
    const tarFile = join(tmpdir(), "repo.tar.gz");
    const t = Bun.spawnSync(["tar", "-czf", tarFile, "-C", out, "json", ...objs.map((o) => `objects/${o}`)]);
    expect(t.exitCode).toBe(0);
    const { dir } = cloneInto(`${tarFile}#bsp`);
    expect(Object.keys(state(dir)).sort()).toEqual(["#spec", "bsp/kernel.img"]);
    expect(read(dir, "bsp/kernel.img")).toBe("kernel v1\n");
    const base = tmpdir();
    pvrOk(base, ["clone", "-o", join(base, "objs"), tarFile], { PVR_CONFIG_DIR: join(base, ".pvrcfg") });
    expect(read(base, "repo", ".pvr/json")).toBe(read(src, ".pvr/json"));
    expect(JSON.parse(pvrOk(base, ["inspect", tarFile]).stdout)).toEqual(state(src));
  });
});
