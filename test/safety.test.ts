/**
 * Bad input and bad luck: not a repository, invalid JSON, unreadable files, a full disk, a held
 * lock, concurrent commits and a commit killed with SIGKILL. Each must fail clearly and leave
 * the repository consistent.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BUN, CLI, newRepo, pvrOk, runPvr, sha256, snapshotTree, tmpdir } from "./helpers";

const read = (p: string) => readFileSync(p, "utf8");

/** Every file in the store is named by the sha256 of its bytes; no temp files are left behind. */
function expectStoreSound(objects: string): void {
  for (const name of readdirSync(objects)) {
    if (name === ".pvr-tmp") continue;
    expect(name).toMatch(/^[0-9a-f]{64}$/);
    expect(sha256(readFileSync(join(objects, name)))).toBe(name);
  }
}

/** The committed state parses and every object it references is in the store. */
function expectRepoConsistent(dir: string, objects: string): void {
  const state = JSON.parse(read(join(dir, ".pvr/json")));
  for (const [k, v] of Object.entries(state)) {
    if (k === "#spec" || k.endsWith(".json")) continue;
    expect(existsSync(join(objects, v as string))).toBe(true);
  }
  expectStoreSound(objects);
}

describe("clear errors that change nothing", () => {
  test("outside a repository", () => {
    const dir = tmpdir();
    const r = runPvr(dir, ["status"]);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/^ERROR: not a pvr repository .*run 'pvr init' first\n$/);
    expect(existsSync(join(dir, ".pvr"))).toBe(false);
  });

  test("invalid JSON names the file and the position; nothing is stored", () => {
    const { dir, objects } = newRepo({ "a.bin": "a", "z/bad.json": '{\n  "x": 1,\n  "y": tru\n}' });
    pvrOk(dir, ["add", "a.bin"]);
    writeFileSync(join(dir, ".pvr/new"), read(join(dir, ".pvr/new")).replace("}}", '},"z/bad.json":{"ForceObject":false,"Sha":""}}'));
    const before = snapshotTree(join(dir, ".."));
    const r = runPvr(dir, ["commit"]);
    expect(r.code).toBe(6);
    expect(r.stderr).toContain("z/bad.json: invalid JSON: invalid literal at line 3 column 8");
    expect(snapshotTree(join(dir, ".."))).toEqual(before);
    expect(readdirSync(objects).filter((n) => n !== ".pvr-tmp")).toEqual([sha256("a")]);
    const add = runPvr(dir, ["add", "z/bad.json"]);
    expect(add.code).toBe(6);
    expect(add.stderr).toContain("z/bad.json");
  });

  test("a corrupt .pvr/json is reported, not overwritten", () => {
    const { dir } = newRepo({ "a.bin": "a" });
    writeFileSync(join(dir, ".pvr/json"), '{"#spec": ');
    const r = runPvr(dir, ["commit"]);
    expect(r.code).toBe(6);
    expect(r.stderr).toContain(".pvr/json: invalid JSON");
    expect(read(join(dir, ".pvr/json"))).toBe('{"#spec": ');
  });

  test("an unreadable file (as an unprivileged user) is permission denied", () => {
    const { dir } = newRepo({ "secret.bin": "s", "ok.bin": "o" });
    pvrOk(dir, ["add"]);
    chmodSync(join(dir, "secret.bin"), 0o000);
    for (const p of [join(dir, ".."), dir, join(dir, ".pvr")]) chmodSync(p, 0o777);
    const objects = join(dir, "..", ".pvrcfg", "objects");
    for (const p of [join(objects, ".."), objects]) chmodSync(p, 0o777);
    writeFileSync(join(dir, "ok.bin"), "changed, so the commit has to store it");
    const before = snapshotTree(join(dir, ".."));
    const r = Bun.spawnSync(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", BUN, CLI, "commit"], {
      cwd: dir,
      env: { ...process.env, PVR_CONFIG_DIR: join(dir, "..", ".pvrcfg"), HOME: "/nonexistent" },
    });
    expect(r.stderr.toString()).toContain("secret.bin: permission denied");
    expect(r.exitCode).toBe(8);
    expect(snapshotTree(join(dir, ".."))).toEqual(before);
  });

  test("a lock held by a live process is named; a dead holder's lock is taken over", () => {
    const { dir } = newRepo({ "a.bin": "a" });
    const lock = join(dir, ".pvr/lock");
    writeFileSync(lock, JSON.stringify({ pid: process.pid, host: require("node:os").hostname(), command: "commit", since: "then" }));
    const r = runPvr(dir, ["add"]);
    expect(r.code).toBe(10);
    expect(r.stderr).toContain(`locked by pid ${process.pid} (pvr commit)`);
    expect(existsSync(join(dir, ".pvr/new"))).toBe(false);
    writeFileSync(lock, JSON.stringify({ pid: 2 ** 22 + 17, host: require("node:os").hostname(), command: "commit", since: "then" }));
    pvrOk(dir, ["add"]);
    expect(existsSync(lock)).toBe(false);
  });
});

const mounts: string[] = [];
afterAll(() => {
  for (const m of mounts) Bun.spawnSync(["umount", "-l", m]);
});

function mountTmpfs(size: string): string | null {
  const dir = tmpdir("pvr-tmpfs-");
  const r = Bun.spawnSync(["mount", "-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir]);
  if (r.exitCode !== 0) return null;
  mounts.push(dir);
  return dir;
}
const canMount = (() => {
  const d = mountTmpfs("64k");
  return d !== null;
})();

describe("a full disk", () => {
  test.skipIf(!canMount)("add and commit fail with exit 9, state unchanged, no partial objects", () => {
    const fs = mountTmpfs("256k") as string;
    const base = tmpdir();
    const dir = join(base, "repo");
    mkdirSync(dir);
    pvrOk(dir, ["init", "--objects", join(fs, "objects")]);
    writeFileSync(join(dir, "small.bin"), "s");
    pvrOk(dir, ["add"]);
    writeFileSync(join(dir, "big.bin"), Buffer.alloc(1 << 20, 7));
    const before = snapshotTree(dir);
    const add = runPvr(dir, ["add", "big.bin"]);
    expect(add.code).toBe(9);
    expect(add.stderr).toContain("no space left on device");
    expect(snapshotTree(dir)).toEqual(before);
    // a tracked file grown past the free space: commit must store it and cannot
    writeFileSync(join(dir, "small.bin"), Buffer.alloc(1 << 20, 8));
    const json = read(join(dir, ".pvr/json"));
    const r = runPvr(dir, ["commit"]);
    expect(r.code).toBe(9);
    expect(r.stderr).toContain("no space left on device");
    expect(read(join(dir, ".pvr/json"))).toBe(json);
    expectStoreSound(join(fs, "objects"));
    expect(readdirSync(join(fs, "objects", ".pvr-tmp"))).toEqual([]);
  });
});

describe("concurrency and crashes", () => {
  test("concurrent commits: each succeeds or is refused as locked; the repository stays consistent", async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 200; i++) files[`d${i % 7}/f${i}.bin`] = `content ${i}`.repeat(500);
    const { dir, objects } = newRepo(files);
    pvrOk(dir, ["add"]);
    const procs = Array.from({ length: 4 }, (_, i) =>
      Bun.spawn([BUN, CLI, "commit", "-m", `c${i}`], {
        cwd: dir,
        env: { ...process.env, PVR_CONFIG_DIR: join(dir, "..", ".pvrcfg") },
        stderr: "pipe",
      }),
    );
    const results = await Promise.all(procs.map(async (p) => ({ code: await p.exited, err: await new Response(p.stderr).text() })));
    expect(results.some((r) => r.code === 0)).toBe(true);
    for (const r of results) if (r.code !== 0) expect(r).toMatchObject({ code: 10, err: expect.stringContaining("locked by pid") });
    expectRepoConsistent(dir, objects);
    expect(pvrOk(dir, ["status"]).stdout).toBe("");
  });

  test("a commit killed with SIGKILL leaves the old or the new state, never a mix", async () => {
    const files: Record<string, Uint8Array> = {};
    for (let i = 0; i < 6; i++) files[`big${i}.bin`] = Buffer.alloc(24 << 20, i + 1);
    const { dir, objects } = newRepo(files);
    pvrOk(dir, ["add"]);
    const old = read(join(dir, ".pvr/json"));
    for (const delay of [60, 150, 300]) {
      const p = Bun.spawn([BUN, CLI, "commit"], { cwd: dir, env: { ...process.env, PVR_CONFIG_DIR: join(dir, "..", ".pvrcfg") }, stderr: "ignore" });
      await Bun.sleep(delay);
      p.kill("SIGKILL");
      await p.exited;
      const now = read(join(dir, ".pvr/json"));
      if (now !== old) expectRepoConsistent(dir, objects);
      else expectStoreSound(objects);
    }
    pvrOk(dir, ["commit"]);
    expectRepoConsistent(dir, objects);
    expect(readdirSync(join(objects, ".pvr-tmp"))).toEqual([]);
    expect(pvrOk(dir, ["status"]).stdout).toBe("");
  }, 60_000);
});
