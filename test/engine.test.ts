/** The repository engine end to end through the real CLI: init, add, status, diff, commit, reset. */
import { describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { StatCache } from "../agent/repo/statcache";
import { BUN, CLI, newRepo, pvrOk, runPvr, sha256 } from "./helpers";

const HELLO_SHA = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";
const read = (dir: string, p: string) => readFileSync(join(dir, p), "utf8");

/** add + commit, then wait out the racy window (50 ms), so the stat cache may vouch for the files. */
async function commitPastRacyWindow(dir: string): Promise<void> {
  pvrOk(dir, ["add"]);
  pvrOk(dir, ["commit"]);
  await Bun.sleep(120);
}

describe("init", () => {
  test("writes the Go tool's exact .pvr/json and .pvr/config", () => {
    const { dir, objects } = newRepo();
    expect(read(dir, ".pvr/json")).toBe('{ "#spec": "pantavisor-service-system@1" }');
    expect(read(dir, ".pvr/config")).toBe(
      `{\n\t"DefaultGetUrl": "",\n\t"DefaultPutUrl": "",\n\t"DefaultPostUrl": "",\n\t"ObjectsDir": "${objects}",\n\t"AccessTokens": {},\n\t"RefreshTokens": {}\n}`,
    );
    expect(statSync(objects).isDirectory()).toBe(true);
  });

  test("refuses an existing repository with a non-zero exit", () => {
    const { dir } = newRepo();
    const r = runPvr(dir, ["init"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("Cannot initialize an existing repository");
  });

  test("--objects and --spec", () => {
    const { dir } = newRepo();
    const sub = join(dir, "other");
    mkdirSync(sub);
    pvrOk(sub, ["init", "--objects", "objs", "--spec", "pantavisor-multi-platform@1"]);
    expect(read(sub, ".pvr/json")).toBe('{ "#spec": "pantavisor-multi-platform@1" }');
    expect(read(sub, ".pvr/config")).toContain(`"ObjectsDir": "${join(sub, "objs")}"`);
  });
});

describe("Appendix A.2", () => {
  test("init, add, commit --compat-go gives the Go tool's bytes", () => {
    const { dir, objects } = newRepo({ "a.txt": "hello\n", "c.json": '{"n":1.50,"x":null}\n' });
    pvrOk(dir, ["add", "."]);
    const staged = read(dir, ".pvr/new");
    expect(staged).toBe(
      `{"a.txt":{"ForceObject":false,"Sha":"${HELLO_SHA}"},"c.json":{"ForceObject":false,"Sha":"${sha256('{"n":1.50,"x":null}\n')}"}}`,
    );
    pvrOk(dir, ["commit", "--compat-go"]);
    expect(read(dir, ".pvr/json")).toBe(`{"#spec":"pantavisor-service-system@1","a.txt":"${HELLO_SHA}","c.json":{"n":1.5E0}}`);
    expect(read(objects, HELLO_SHA)).toBe("hello\n");
    expect(existsSync(join(dir, ".pvr/new"))).toBe(false);
    expect(read(dir, ".pvr/commitmsg")).toBe("** No commit message **");
  });

  test("the default commit keeps nulls and big integers", () => {
    const { dir } = newRepo({ "c.json": '{"n":1.50,"x":null,"arr":[1,null],"big":12345678901234567890}' });
    pvrOk(dir, ["add"]);
    pvrOk(dir, ["commit", "-m", "lossless"]);
    expect(read(dir, ".pvr/json")).toBe(
      '{"#spec":"pantavisor-service-system@1","c.json":{"arr":[1,null],"big":12345678901234567890,"n":1.5E0,"x":null}}',
    );
    expect(read(dir, ".pvr/commitmsg")).toBe("lossless");
  });

  test("--compat-go rounds big integers through float64 like Go", () => {
    const { dir } = newRepo({ "c.json": '{"arr":[1,null],"big":12345678901234567890}' });
    pvrOk(dir, ["add"]);
    pvrOk(dir, ["commit", "--compat-go"]);
    expect(read(dir, ".pvr/json")).toContain('"c.json":{"arr":[1],"big":12345678901234567000}');
  });
});

describe("status, diff, commit, reset", () => {
  test("a full flow with nested, unicode, space-containing and empty files", () => {
    const { dir, objects } = newRepo({
      "bsp/kernel.img": "kernel",
      "app/run.json": '{"name":"app","b":[1,2]}',
      "dir with space/ünï cödé.txt": "unicode",
      "empty": "",
    });
    expect(runPvr(dir, ["status"]).stdout).toBe("? app/run.json\n? bsp/kernel.img\n? dir with space/ünï cödé.txt\n? empty\n");
    pvrOk(dir, ["add", "."]);
    expect(pvrOk(dir, ["status"]).stdout).toBe("A app/run.json\nA bsp/kernel.img\nA dir with space/ünï cödé.txt\nA empty\n");
    pvrOk(dir, ["commit", "-m", "first"]);
    expect(pvrOk(dir, ["status"]).stdout).toBe("");
    expect(pvrOk(dir, ["diff"]).stdout).toBe("{}\n");
    const state = JSON.parse(read(dir, ".pvr/json"));
    expect(state["empty"]).toBe(sha256(""));
    expect(state["dir with space/ünï cödé.txt"]).toBe(sha256("unicode"));
    expect(state["app/run.json"]).toEqual({ name: "app", b: [1, 2] });
    expect(existsSync(join(objects, sha256("")))).toBe(true);

    // change, delete, rename, edit JSON
    writeFileSync(join(dir, "bsp/kernel.img"), "kernel2");
    unlinkSync(join(dir, "empty"));
    renameSync(join(dir, "dir with space/ünï cödé.txt"), join(dir, "renamed.txt"));
    writeFileSync(join(dir, "app/run.json"), '{"name":"app2","b":[1,2]}');
    expect(pvrOk(dir, ["status"]).stdout).toBe(
      "D dir with space/ünï cödé.txt\nD empty\nC app/run.json\nC bsp/kernel.img\n? renamed.txt\n",
    );
    expect(JSON.parse(pvrOk(dir, ["diff"]).stdout)).toEqual({
      "app/run.json": { name: "app2" },
      "bsp/kernel.img": sha256("kernel2"),
      "dir with space/ünï cödé.txt": null,
      empty: null,
    });
    pvrOk(dir, ["add", "renamed.txt"]);
    pvrOk(dir, ["commit"]);
    const s2 = JSON.parse(read(dir, ".pvr/json"));
    expect(Object.keys(s2).sort()).toEqual(["#spec", "app/run.json", "bsp/kernel.img", "renamed.txt"]);
    expect(s2["renamed.txt"]).toBe(sha256("unicode"));

    // reset restores files from the store, verifying them
    rmSync(join(dir, "bsp"), { recursive: true });
    writeFileSync(join(dir, "app/run.json"), "{}");
    pvrOk(dir, ["checkout"]);
    expect(read(dir, "bsp/kernel.img")).toBe("kernel2");
    expect(read(dir, "app/run.json")).toBe('{\n    "b": [\n        1,\n        2\n    ],\n    "name": "app2"\n}');
    expect(pvrOk(dir, ["status"]).stdout).toBe("");
  });

  test("add --raw stores a .json file as an object; json prints the working state", () => {
    const { dir } = newRepo({ "cfg/raw.json": '{"a":1}', "cfg/inline.json": '{"b":2}' });
    pvrOk(dir, ["add", "--raw", "cfg/raw.json"]);
    pvrOk(dir, ["add", "cfg/inline.json"]);
    pvrOk(dir, ["commit"]);
    const state = JSON.parse(read(dir, ".pvr/json"));
    expect(state["cfg/raw.json"]).toBe(sha256('{"a":1}'));
    expect(state["cfg/inline.json"]).toEqual({ b: 2 });
    expect(pvrOk(dir, ["json", "-c"]).stdout).toBe(`${read(dir, ".pvr/json")}\n`);
  });

  test("add DIR is recursive and works from a subdirectory; globs match", () => {
    const { dir } = newRepo({ "a/b/c.txt": "c", "a/d.txt": "d", "x/1.bin": "1", "x/2.txt": "2" });
    pvrOk(join(dir, "a"), ["add", "b"]);
    expect(pvrOk(dir, ["status"]).stdout).toContain("A a/b/c.txt\n");
    pvrOk(join(dir, "x"), ["add", "*.bin"]);
    const out = pvrOk(dir, ["status"]).stdout;
    expect(out).toContain("A x/1.bin\n");
    expect(out).toContain("? x/2.txt\n");
    expect(out).toContain("? a/d.txt\n");
    const miss = runPvr(dir, ["add", "nothing*.zip"]);
    expect(miss.code).not.toBe(0);
    expect(miss.stderr).toContain("did not match any files");
  });

  test("reset --hardlink links objects read-only from the store", () => {
    const { dir, objects } = newRepo({ "f.bin": "data" });
    pvrOk(dir, ["add"]);
    pvrOk(dir, ["commit"]);
    unlinkSync(join(dir, "f.bin"));
    pvrOk(dir, ["reset", "--hardlink"]);
    const st = statSync(join(dir, "f.bin"));
    expect(st.ino).toBe(statSync(join(objects, sha256("data"))).ino);
    expect(st.mode & 0o777).toBe(0o444);
  });

  test("a tampered object is refused on checkout and the file is not replaced", () => {
    const { dir, objects } = newRepo({ "f.bin": "good" });
    pvrOk(dir, ["add"]);
    pvrOk(dir, ["commit"]);
    writeFileSync(join(objects, sha256("good")), "evil");
    writeFileSync(join(dir, "f.bin"), "local edit");
    const r = runPvr(dir, ["reset"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("wrong sha");
    expect(read(dir, "f.bin")).toBe("local edit");
  });

  test("a trusted stat cache entry skips hashing, but never hides a same-size, same-mtime edit", () => {
    const { dir } = newRepo({ "f.bin": "aaaa" });
    pvrOk(dir, ["add"]);
    pvrOk(dir, ["commit"]);
    const file = join(dir, "f.bin");
    const writeCache = (sha: string) => {
      const cache = new StatCache(join(dir, ".pvr/statcache"));
      cache.record("f.bin", statSync(file), sha, Date.now() + 3_600_000);
      cache.save();
    };
    // the cache is really consulted: a (deliberately wrong) trusted entry is believed
    writeCache(sha256("zzzz"));
    expect(pvrOk(dir, ["status"]).stdout).toBe("C f.bin\n");
    writeCache(sha256("aaaa"));
    expect(pvrOk(dir, ["status"]).stdout).toBe("");
    // an edit that keeps size and mtime still moves ctime, so the entry is not trusted
    const before = statSync(file);
    writeFileSync(file, "bbbb");
    utimesSync(file, before.atime, before.mtime);
    expect(pvrOk(dir, ["status"]).stdout).toBe("C f.bin\n");
  });

  test("a corrupt stat cache costs nothing but time", () => {
    const { dir } = newRepo({ "f.bin": "x" });
    pvrOk(dir, ["add"]);
    pvrOk(dir, ["commit"]);
    writeFileSync(join(dir, ".pvr/statcache"), Buffer.concat([Buffer.from("PVRSC4\n\0"), Buffer.alloc(56, 0xff), Buffer.from("garbage")]));
    expect(pvrOk(dir, ["status"]).stdout).toBe("");
    writeFileSync(join(dir, "f.bin"), "y");
    expect(pvrOk(dir, ["status"]).stdout).toBe("C f.bin\n");
  });

  test("a stat cache whose paths section is damaged (split only when needed) costs nothing but time", async () => {
    const { dir } = newRepo({ "a.bin": "a", "d/b.bin": "b", "d/c.bin": "c" });
    await commitPastRacyWindow(dir);
    expect(pvrOk(dir, ["status"]).stdout).toBe("");
    const file = join(dir, ".pvr/statcache");
    const bytes = readFileSync(file);
    const at = bytes.indexOf("a.bin\nd/b.bin");
    expect(at).toBeGreaterThan(0);
    bytes[at + 5] = "/".charCodeAt(0); // two paths become one: "a.bin/d/b.bin"
    writeFileSync(file, bytes);
    writeFileSync(join(dir, "d/new.txt"), "n");
    expect(pvrOk(dir, ["status"]).stdout).toBe("? d/new.txt\n");
    writeFileSync(join(dir, "d/b.bin"), "B");
    expect(pvrOk(dir, ["status"]).stdout).toBe("C d/b.bin\n? d/new.txt\n");
  });

  test("the clean-tree fast path of status notices edits, deletions, new files and a replaced .pvr/json", async () => {
    const { dir } = newRepo({ "a.bin": "aaaa", "b.json": '{"x":1}', "c/d.bin": "dddd" });
    await commitPastRacyWindow(dir);
    expect(pvrOk(dir, ["status"]).stdout).toBe("");
    expect(pvrOk(dir, ["status"]).stdout).toBe("");
    writeFileSync(join(dir, "new.txt"), "n");
    expect(pvrOk(dir, ["status"]).stdout).toBe("? new.txt\n");
    const st = statSync(join(dir, "a.bin"));
    writeFileSync(join(dir, "a.bin"), "AAAA");
    utimesSync(join(dir, "a.bin"), st.atime, st.mtime);
    expect(pvrOk(dir, ["status"]).stdout).toBe("C a.bin\n? new.txt\n");
    writeFileSync(join(dir, "a.bin"), "aaaa");
    writeFileSync(join(dir, "b.json"), '{"x":2}');
    expect(pvrOk(dir, ["status"]).stdout).toBe("C b.json\n? new.txt\n");
    writeFileSync(join(dir, "b.json"), '{"x":1}');
    unlinkSync(join(dir, "c/d.bin"));
    expect(pvrOk(dir, ["status"]).stdout).toBe("D c/d.bin\n? new.txt\n");
    writeFileSync(join(dir, "c/d.bin"), "dddd");
    unlinkSync(join(dir, "new.txt"));
    await Bun.sleep(120);
    expect(pvrOk(dir, ["status"]).stdout).toBe("");
    // a new committed state (as `pvr get` writes it) with the tree untouched
    const state = JSON.parse(read(dir, ".pvr/json"));
    state["a.bin"] = sha256("other");
    writeFileSync(join(dir, ".pvr/json"), JSON.stringify(state));
    expect(pvrOk(dir, ["status"]).stdout).toBe("C a.bin\n");
  });

  test("a directory is not read again only while its stamp proves its listing unchanged", async () => {
    const { dir } = newRepo({ "a.bin": "a", "d/x.bin": "x", "d/e/y.bin": "y" });
    const d = join(dir, "d");
    utimesSync(d, 1_700_000_000, 1_700_000_000); // a whole second, so it can be set back exactly
    await commitPastRacyWindow(dir);
    expect(pvrOk(dir, ["status"]).stdout).toBe("");
    const listed = () => {
      const dirs = StatCache.load(join(dir, ".pvr")).cleanPaths(statSync(join(dir, ".pvr/json")))?.dirs;
      return ["", "d/", "d/e/"].map((p) => (dirs?.get(p)?.listedAt ?? 0) > 0);
    };
    expect(listed()).toEqual([true, true, true]); // the clean status recorded each listing
    // a new entry whose directory gets its old mtime back still moves the directory's ctime
    writeFileSync(join(d, "new.txt"), "n");
    utimesSync(d, 1_700_000_000, 1_700_000_000);
    expect(statSync(d).mtimeMs).toBe(1_700_000_000_000);
    expect(pvrOk(dir, ["status"]).stdout).toBe("? d/new.txt\n");
    unlinkSync(join(d, "new.txt"));
    mkdirSync(join(d, "e/f"));
    writeFileSync(join(d, "e/f/z"), "z");
    expect(pvrOk(dir, ["status"]).stdout).toBe("? d/e/f/z\n");
    rmSync(join(d, "e/f"), { recursive: true });
    await Bun.sleep(120);
    expect(pvrOk(dir, ["status"]).stdout).toBe("");
    // the recorded listing is really what status goes by: one forged for the directory as it is
    // now (with a file the cache does not know) hides that file
    writeFileSync(join(d, "hidden.txt"), "h");
    const cache = StatCache.load(join(dir, ".pvr"));
    cache.cleanPaths(statSync(join(dir, ".pvr/json")));
    cache.recordListing("d/", statSync(d), Date.now() + 3_600_000);
    cache.save();
    expect(pvrOk(dir, ["status"]).stdout).toBe("");
    // and any real change of the directory ends it
    writeFileSync(join(d, "another.txt"), "a");
    expect(pvrOk(dir, ["status"]).stdout).toBe("? d/another.txt\n? d/hidden.txt\n");
  });

  test("an in-tree objects directory is never vouched for: moving ObjectsDir away shows its files", async () => {
    const { dir } = newRepo({ "a.bin": "a", "sub/b.bin": "b" });
    const config = join(dir, ".pvr/config");
    writeFileSync(config, read(dir, ".pvr/config").replace(/"ObjectsDir": "[^"]*"/, '"ObjectsDir": "objs"'));
    await commitPastRacyWindow(dir);
    for (let i = 0; i < 3; i++) expect(pvrOk(dir, ["status"]).stdout).toBe("");
    writeFileSync(config, read(dir, ".pvr/config").replace(/"ObjectsDir": "objs"/, '"ObjectsDir": ""'));
    const untracked = pvrOk(dir, ["status"]).stdout.split("\n").filter(Boolean);
    expect(untracked).toEqual([`? objs/${sha256("a")}`, `? objs/${sha256("b")}`].sort());
  });

  test("a stat cache whose directory counts were altered is refused (checksum), not believed", async () => {
    const { dir } = newRepo({ "a.txt": "a", "sub/b.txt": "b", "sub/c.txt": "c" });
    await commitPastRacyWindow(dir);
    expect(pvrOk(dir, ["status"]).stdout).toBe("");
    // move one entry of sub/'s count to the root's, as a corruption might, then add a root file:
    // the root's listing would match its (wrong) count and sub/, skipped, would make up the total
    const file = join(dir, ".pvr/statcache");
    const bytes = readFileSync(file);
    const f64 = (at: number) => bytes.readDoubleLE(at);
    const count = f64(8);
    const dirCount = f64(8 + 7 * 8);
    const table = 88 + count * 6 * 8;
    const names = bytes.toString("utf8", bytes.length - 64).split("\n").slice(-dirCount);
    expect(names).toEqual(["", "sub/"]);
    bytes.writeDoubleLE(f64(table) + 1, table);
    bytes.writeDoubleLE(f64(table + 5 * 8) - 1, table + 5 * 8);
    writeFileSync(file, bytes);
    writeFileSync(join(dir, "untracked.txt"), "u");
    expect(pvrOk(dir, ["status"]).stdout).toBe("? untracked.txt\n");
  });

  test.skipIf(process.getuid?.() !== 0)("a directory status may not stat (as an unprivileged user) is reported, not a crash", async () => {
    const { dir } = newRepo({ "top.txt": "x", "a/b/f.txt": "y" });
    await commitPastRacyWindow(dir);
    for (const p of [join(dir, ".."), join(dir, "..", ".."), dir, join(dir, ".pvr"), join(dir, "a"), join(dir, "a/b")]) chmodSync(p, 0o777);
    const asNobody = () =>
      Bun.spawnSync(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", BUN, CLI, "status"], {
        cwd: dir,
        env: { ...process.env, PVR_CONFIG_DIR: join(dir, "..", ".pvrcfg"), HOME: "/nonexistent" },
      });
    expect(asNobody().exitCode).toBe(0); // records the directories' listings
    chmodSync(join(dir, "a"), 0o644); // readable names, but nothing below can be stat'ed
    const r = asNobody();
    expect(r.stderr.toString()).toContain("permission denied");
    expect(r.stderr.toString()).not.toContain("internal error");
    expect(r.exitCode).toBe(8);
    chmodSync(join(dir, "a"), 0o755);
  });

  test("the fast path on a tree big enough for its stat worker: counts per directory, never a swap", async () => {
    const files: Record<string, string> = { "top.txt": "t" };
    for (let i = 0; i < 2100; i++) files[`d${i % 7}/f${i}.bin`] = `file ${i}`;
    const { dir } = newRepo(files);
    await commitPastRacyWindow(dir);
    expect(pvrOk(dir, ["status"]).stdout).toBe("");
    writeFileSync(join(dir, "d3/new.txt"), "n");
    mkdirSync(join(dir, "fresh"));
    writeFileSync(join(dir, "fresh/x"), "x");
    expect(pvrOk(dir, ["status"]).stdout).toBe("? d3/new.txt\n? fresh/x\n");
    // one file gone and one new in the same directory: the counts agree, the stats do not
    unlinkSync(join(dir, "d3/f3.bin"));
    expect(pvrOk(dir, ["status"]).stdout).toBe("D d3/f3.bin\n? d3/new.txt\n? fresh/x\n");
    writeFileSync(join(dir, "d3/f3.bin"), "file 3");
    rmSync(join(dir, "fresh"), { recursive: true });
    unlinkSync(join(dir, "d3/new.txt"));
    const last = join(dir, "d6/f2099.bin");
    const st = statSync(last);
    writeFileSync(last, "FILE 2099");
    utimesSync(last, st.atime, st.mtime);
    expect(pvrOk(dir, ["status"]).stdout).toBe("C d6/f2099.bin\n");
    writeFileSync(last, "file 2099");
    await Bun.sleep(120);
    expect(pvrOk(dir, ["status"]).stdout).toBe("");
    expect(pvrOk(dir, ["status", "--json"]).stdout).toBe('{"added":[],"removed":[],"changed":[],"untracked":[]}\n');
  });
});
