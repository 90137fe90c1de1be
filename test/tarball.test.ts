/**
 * export / import through the real CLI, checked against GNU tar: the Go tool's own tarball
 * round-trips byte for byte, our exports read back with `tar -tvf`/`-xf`, GNU-built tarballs
 * import, and hostile tarballs are rejected with the repository and object store unchanged.
 */
import { describe, expect, test } from "bun:test";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import { tarHeader } from "../agent/remote/tarball";
import { FIXTURES, newRepo, pvrOk, runPvr, sha256, snapshotTree, tmpdir, writeTree } from "./helpers";

const FIXTURE = join(FIXTURES, "pantavisor", "watchdog_pinger.tar");
const SPEC = "pantavisor-service-system@1";

function gnuTar(args: string[], cwd?: string): Buffer {
  const r = Bun.spawnSync(["tar", ...args], { cwd, stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`tar ${args.join(" ")}: ${r.stderr.toString()}`);
  return Buffer.from(r.stdout);
}

/** `tar -tvf` lines as [mode, name] pairs. */
function listing(file: string): Array<[string, string]> {
  return gnuTar(["-tvf", file])
    .toString()
    .trim()
    .split("\n")
    .map((l) => {
      const f = l.split(/\s+/);
      return [f[0] as string, f[f.length - 1] as string];
    });
}

interface RawMember {
  name: string;
  type?: "File" | "Directory" | "SymbolicLink" | "Link" | "CharacterDevice";
  body?: string | Buffer;
  linkpath?: string;
}

/** A tarball built member by member, for layouts GNU tar refuses to write. */
async function rawTar(members: RawMember[]): Promise<Buffer> {
  const { Header } = await import("tar");
  const blocks: Buffer[] = [];
  for (const m of members) {
    const body = Buffer.from(m.body ?? "");
    const h = new Header({ path: m.name, mode: 0o644, uid: 0, gid: 0, size: body.length, mtime: new Date(0), linkpath: m.linkpath });
    h.type = m.type ?? "File";
    const block = Buffer.alloc(512);
    h.encode(block, 0);
    blocks.push(block, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

const json = (o: Record<string, unknown>) => JSON.stringify({ "#spec": SPEC, ...o });

describe("export and import with the Go tool's tarball", () => {
  test("import, checkout, export: json byte-identical, objects identical, GNU tar reads it", () => {
    const { dir } = newRepo();
    const tarball = join(dirname(dir), "wd.tar");
    copyFileSync(FIXTURE, tarball);
    const before = snapshotTree(dir);
    const imp = pvrOk(dir, ["import", tarball]);
    expect(imp.stderr).toContain("pvr checkout");
    const after = snapshotTree(dir);
    for (const k of Object.keys(after)) if (!k.startsWith(".pvr")) expect(after[k]).toBe(before[k] as string);
    const original = gnuTar(["-xOf", FIXTURE, "json"]);
    expect(readFileSync(join(dir, ".pvr/json"), "utf8")).toBe(original.toString());

    const out = join(dirname(dir), "out.tar");
    pvrOk(dir, ["export", out]);
    expect(gnuTar(["-xOf", out, "json"])).toEqual(original);
    const names = listing(out).map(([, n]) => n);
    expect(names[0]).toBe("json");
    expect(names.slice(1)).toEqual(
      listing(FIXTURE)
        .map(([, n]) => n)
        .filter((n) => n.startsWith("objects/"))
        .sort(),
    );
    for (const [mode] of listing(out)) expect(mode.startsWith("-")).toBe(true);
    const a = join(tmpdir(), "a");
    const b = join(tmpdir(), "b");
    mkdirSync(a);
    mkdirSync(b);
    gnuTar(["-xf", FIXTURE, "-C", a]);
    gnuTar(["-xf", out, "-C", b]);
    expect(snapshotTree(b)).toEqual(snapshotTree(a));

    pvrOk(dir, ["checkout"]);
    const sq = readFileSync(join(dir, "watchdog_pinger/root.squashfs"));
    expect(sha256(sq)).toBe("2a267f8d5a928c8d4bdab8ca126df84e5c8f989d1150e7b0766515f6befaaa44");
  });

  test("gzip only for .tgz/.gz names, '-' writes a plain tar to stdout", () => {
    const { dir } = newRepo({ "a.txt": "A\n", "app/run.json": '{"x":1}' });
    pvrOk(dir, ["add", "."]);
    pvrOk(dir, ["commit"]);
    const base = dirname(dir);
    pvrOk(dir, ["export", join(base, "x.tgz")]);
    pvrOk(dir, ["export", join(base, "x.tar.GZ")]);
    pvrOk(dir, ["export", join(base, "x.tar")]);
    expect([...readFileSync(join(base, "x.tgz")).subarray(0, 2)]).toEqual([0x1f, 0x8b]);
    expect([...readFileSync(join(base, "x.tar.GZ")).subarray(0, 2)]).toEqual([0x1f, 0x8b]);
    expect(readFileSync(join(base, "x.tar")).subarray(0, 4).toString()).toBe("json");
    expect(gnuTar(["-tzf", join(base, "x.tgz")]).toString()).toBe(`json\nobjects/${sha256("A\n")}\n`);
    const r = Bun.spawnSync([process.execPath, join(import.meta.dir, "..", "cli", "main.ts"), "export", "-"], {
      cwd: dir,
      env: { ...process.env, PVR_CONFIG_DIR: join(base, ".pvrcfg") },
    });
    expect(r.exitCode).toBe(0);
    expect(Buffer.from(r.stdout)).toEqual(readFileSync(join(base, "x.tar")));
  });

  test("--parts keeps the parts and #spec, and only their objects", () => {
    const { dir } = newRepo({ "a/x": "1", "a/run.json": "{}", "ab/y": "2", "b/z": "3" });
    pvrOk(dir, ["add", "."]);
    pvrOk(dir, ["commit"]);
    const out = join(dirname(dir), "p.tar");
    pvrOk(dir, ["export", "--parts", "a,b", out]);
    const state = JSON.parse(gnuTar(["-xOf", out, "json"]).toString());
    expect(Object.keys(state).sort()).toEqual(["#spec", "a/run.json", "a/x", "b/z"]);
    expect(listing(out).map(([, n]) => n)).toEqual(["json", ...[sha256("1"), sha256("3")].sort().map((s) => `objects/${s}`)]);
  });
});

describe("export refuses a bad store", () => {
  test("a corrupt or missing object aborts the export and leaves no file", () => {
    const { dir, objects } = newRepo({ "a.txt": "A\n" });
    pvrOk(dir, ["add", "."]);
    pvrOk(dir, ["commit"]);
    const obj = join(objects, sha256("A\n"));
    const out = join(dirname(dir), "bad.tar");
    chmodSync(obj, 0o644);
    writeFileSync(obj, "B\n");
    const r = runPvr(dir, ["export", out]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("corrupt");
    unlinkSync(obj);
    expect(runPvr(dir, ["export", out]).code).not.toBe(0);
    expect(readdirSync(dirname(dir)).filter((n) => n.includes("bad.tar"))).toEqual([]);
  });
});

describe("tarballs made by GNU tar in the documented layout", () => {
  for (const [label, args, name] of [
    ["with an objects/ directory entry", ["-cf"], "gnu.tar"],
    ["with ./ names, gzipped", ["-czf"], "gnu.tgz"],
  ] as const) {
    test(label, () => {
      const { dir } = newRepo();
      const src = tmpdir();
      const body = "object body\n";
      writeTree(src, { json: json({ "f.bin": sha256(body), "c.json": { n: 1 } }), [`objects/${sha256(body)}`]: body });
      const file = join(dirname(dir), name);
      gnuTar(name.endsWith(".tgz") ? [...args, file, "-C", src, "."] : [...args, file, "json", "objects"], src);
      pvrOk(dir, ["import", file]);
      expect(readFileSync(join(dir, ".pvr/json"), "utf8")).toBe(`{"#spec":"${SPEC}","c.json":{"n":1},"f.bin":"${sha256(body)}"}`);
      pvrOk(dir, ["checkout"]);
      expect(readFileSync(join(dir, "f.bin"), "utf8")).toBe(body);
    });
  }

  test("'-' reads the tarball from stdin", () => {
    const { dir } = newRepo();
    const file = join(dirname(dir), "wd.tar");
    copyFileSync(FIXTURE, file);
    const r = Bun.spawnSync([process.execPath, join(import.meta.dir, "..", "cli", "main.ts"), "import", "-"], {
      cwd: dir,
      stdin: Bun.file(file),
      env: { ...process.env, PVR_CONFIG_DIR: join(dirname(dir), ".pvrcfg") },
    });
    expect(r.exitCode).toBe(0);
    expect(readFileSync(join(dir, ".pvr/json"), "utf8")).toBe(gnuTar(["-xOf", FIXTURE, "json"]).toString());
  });
});

describe("hostile tarballs are rejected and change nothing", () => {
  const good = "good object\n";
  const other = "another object\n";
  const okJson = json({ "g.bin": sha256(good) });
  const cases: Array<[string, () => Promise<Buffer>]> = [
    ["member ../evil", () => rawTar([{ name: "json", body: okJson }, { name: `objects/${sha256(good)}`, body: good }, { name: "../evil", body: "x" }])],
    ["absolute member name", () => rawTar([{ name: "json", body: okJson }, { name: "/tmp/pvr-evil-absolute", body: "x" }])],
    ["symlink member", () => rawTar([{ name: "json", body: okJson }, { name: `objects/${sha256(good)}`, type: "SymbolicLink", linkpath: "/etc/passwd" }])],
    ["hardlink member", () => rawTar([{ name: `objects/${sha256(good)}`, body: good }, { name: "json", type: "Link", linkpath: `objects/${sha256(good)}` }])],
    ["device member", () => rawTar([{ name: "json", body: okJson }, { name: "objects/dev", type: "CharacterDevice" }])],
    ["unexpected directory", () => rawTar([{ name: "evil/", type: "Directory" }, { name: "json", body: okJson }])],
    ["object whose bytes do not match its name", () => rawTar([{ name: "json", body: okJson }, { name: `objects/${sha256(other)}`, body: other }, { name: `objects/${sha256(good)}`, body: "tampered\n" }])],
    ["uppercase object name", () => rawTar([{ name: "json", body: okJson }, { name: `objects/${sha256(good).toUpperCase()}`, body: good }])],
    ["unknown member", () => rawTar([{ name: "json", body: okJson }, { name: `objects/${sha256(good)}`, body: good }, { name: "extra.txt", body: "x" }])],
    ["invalid json", () => rawTar([{ name: `objects/${sha256(good)}`, body: good }, { name: "json", body: "{not json" }])],
    ["json that is not a state", () => rawTar([{ name: "json", body: '["a"]' }])],
    ["json with a traversal key", () => rawTar([{ name: "json", body: json({ "../evil": sha256(good) }) }, { name: `objects/${sha256(good)}`, body: good }])],
    ["json referencing a missing object", () => rawTar([{ name: "json", body: json({ "g.bin": sha256(good), "o.bin": sha256("missing") }) }, { name: `objects/${sha256(good)}`, body: good }])],
    ["no json member", () => rawTar([{ name: `objects/${sha256(good)}`, body: good }])],
    ["two json members", () => rawTar([{ name: "json", body: okJson }, { name: "json", body: okJson }, { name: `objects/${sha256(good)}`, body: good }])],
    ["truncated archive", async () => (await rawTar([{ name: "json", body: okJson }, { name: `objects/${sha256(good)}`, body: good.repeat(200) }])).subarray(0, 1536)],
    ["not a tarball", async () => Buffer.from("hello, this is not a tar archive at all\n".repeat(40))],
    ["gzip of garbage", async () => gzipSync(Buffer.from("garbage".repeat(200)))],
  ];
  for (const [label, build] of cases) {
    test(label, async () => {
      const { dir, objects } = newRepo({ "keep.txt": "kept\n" });
      pvrOk(dir, ["add", "."]);
      pvrOk(dir, ["commit"]);
      const file = join(dirname(dir), "evil.tar");
      writeFileSync(file, await build());
      const repoBefore = snapshotTree(dir);
      const storeBefore = snapshotTree(objects);
      const r = runPvr(dir, ["import", file]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain("ERROR");
      expect(snapshotTree(dir)).toEqual(repoBefore);
      expect(snapshotTree(objects)).toEqual(storeBefore);
      expect(existsSync(join(dirname(dir), "evil"))).toBe(false);
      expect(existsSync("/tmp/pvr-evil-absolute")).toBe(false);
    });
  }

  test("the export header helper writes plain USTAR (no pax) for big sizes too", () => {
    const h = tarHeader(`objects/${"a".repeat(64)}`, 9 * 1024 ** 3, 0o644);
    expect(h.subarray(257, 263).toString()).toBe("ustar\0");
    expect(h[156]).toBe("0".charCodeAt(0));
    expect(h[124]).toBe(0x80);
  });
});
