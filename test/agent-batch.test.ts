/**
 * Object batches (README, "Object batches"): the framed stream cut at every possible chunk
 * boundary; the agent's `objects/missing`, `objects/fetch` and `objects/store` routes driven by
 * curl on a real agent process, including hostile uploads that must store nothing unverified;
 * and the CLI moving hundreds of objects through them (post, clone), falling back to one
 * request per object when a batch fails, and refusing an object the agent serves corrupted.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { storeObjects } from "../agent/actions/batch";
import { resolveConfig } from "../agent/config";
import { closeAgent, openAgent } from "../agent/service";
import { FrameDecoder, FrameError } from "../agent/objects/frames";
import { groupItems } from "../agent/remote/http/batch";
import { FreshTree } from "../agent/repo/fresh-tree";
import { type AgentProcess, curl, objectNames, startAgentProcess, tempFile } from "./agent-helpers";
import { BUN, CLI, sha256, snapshotTree, tmpdir, writeTree } from "./helpers";
import { pvrAsync, pvrAsyncOk } from "./support/cli";

const frame = (data: string | Uint8Array, sha = sha256(data)) => Buffer.concat([Buffer.from(`${sha} ${Buffer.byteLength(data)}\n`), Buffer.from(data)]);

describe("frame decoder", () => {
  const objects = ["", "a", "hello world\n", "x".repeat(3000)];
  const stream = Buffer.concat(objects.map((o) => frame(o)));

  const decode = (chunks: Uint8Array[]) => {
    const out: { sha: string; size: number; bytes: string }[] = [];
    let cur: { sha: string; size: number; parts: Buffer[] } | null = null;
    const d = new FrameDecoder({
      begin: (sha, size) => void (cur = { sha, size, parts: [] }),
      data: (b) => void cur?.parts.push(Buffer.from(b)),
      end: () => {
        if (cur) out.push({ sha: cur.sha, size: cur.size, bytes: Buffer.concat(cur.parts).toString() });
      },
    });
    for (const c of chunks) d.push(c);
    return { out, atBoundary: d.atBoundary };
  };

  test("the same objects come out whatever the chunk boundaries", () => {
    const want = objects.map((o) => ({ sha: sha256(o), size: o.length, bytes: o }));
    for (const cut of [1, 2, 7, 64, 65, 66, 1000, stream.length]) {
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < stream.length; i += cut) chunks.push(stream.subarray(i, i + cut));
      expect(decode(chunks)).toEqual({ out: want, atBoundary: true });
    }
  });

  test("a stream cut inside a header or an object is not at a boundary", () => {
    expect(decode([stream.subarray(0, 30)]).atBoundary).toBe(false);
    expect(decode([stream.subarray(0, stream.length - 5)]).atBoundary).toBe(false);
  });

  test("malformed headers are refused", () => {
    for (const bad of ["nothex 3\nabc", `${"A".repeat(64)} 1\nx`, `${"a".repeat(64)} -1\n`, `${"a".repeat(64)}  1\nx`, `${"a".repeat(200)}`]) {
      expect(() => decode([Buffer.from(bad)])).toThrow(FrameError);
    }
  });

  test("groups keep parallel requests busy and stay bounded", () => {
    const items = (n: number, size?: number) => Array.from({ length: n }, (_, i) => ({ sha: String(i), key: String(i), size }));
    expect(groupItems(items(8), 4).map((g) => g.length)).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
    expect(groupItems(items(5000), 4).map((g) => g.length)).toEqual(Array(8).fill(625));
    expect(groupItems(items(20_000), 4).every((g) => g.length <= 1000)).toBe(true);
    expect(groupItems(items(10, 40 << 20), 1).map((g) => g.length)).toEqual(Array(10).fill(1));
  });
});

describe("fresh tree (clone writes objects into place as they arrive)", () => {
  test("a copy is kept only when its object verified; big ones are written in order on I/O threads", async () => {
    const root = tmpdir("pvr-fresh-");
    const tree = new FreshTree(root);
    const big = Buffer.alloc(3 << 20, 7);
    big.write("end", big.length - 3);
    const kept = tree.copyFor("bsp/kernel.img", "a".repeat(64), big.length);
    for (let off = 0; off < big.length; off += 64 * 1024) kept?.write(big.subarray(off, off + 64 * 1024));
    kept?.done();
    const dropped = tree.copyFor("bsp/other.img", "b".repeat(64), big.length);
    dropped?.write(big.subarray(0, 1 << 20));
    dropped?.discard();
    const small = tree.copyFor("app/x.txt", "c".repeat(64), 3);
    small?.write(Buffer.from("abc"));
    small?.done();
    expect(tree.copyFor("../escape", "d".repeat(64), 1)).toBeUndefined();
    await tree.settle();
    expect(readFileSync(join(root, "bsp/kernel.img")).equals(big)).toBe(true);
    expect(existsSync(join(root, "bsp/other.img"))).toBe(false);
    expect(readFileSync(join(root, "app/x.txt"), "utf8")).toBe("abc");
    expect([...tree.written.keys()].sort()).toEqual(["app/x.txt", "bsp/kernel.img"]);
  });

  test("many small copies go to the worker in batches; all land before settle resolves", async () => {
    const root = tmpdir("pvr-fresh-");
    const tree = new FreshTree(root);
    for (let i = 0; i < 150; i++) {
      const copy = tree.copyFor(`d${i % 4}/f${i}.txt`, sha256(`f${i}`), 8);
      copy?.write(new TextEncoder().encode(`file ${i}\n`));
      copy?.done();
    }
    await tree.settle();
    expect(tree.written.size).toBe(150);
    for (let i = 0; i < 150; i += 37) expect(readFileSync(join(root, `d${i % 4}/f${i}.txt`), "utf8")).toBe(`file ${i}\n`);
  });

  test("queued writes over the limit hold the download back until they land", async () => {
    const tree = new FreshTree(tmpdir("pvr-fresh-"));
    const copy = tree.copyFor("big.bin", "e".repeat(64), 64 << 20);
    const chunk = Buffer.alloc(1 << 20, 1);
    let waited = false;
    for (let i = 0; i < 64; i++) {
      copy?.write(chunk);
      const wait = tree.drained();
      if (wait) {
        waited = true;
        await wait;
        expect(tree.drained()).toBeUndefined();
      }
    }
    copy?.done();
    await tree.settle();
    expect(waited).toBe(true);
  });
});

describe("agent routes", () => {
  let agent: AgentProcess;
  let B: string;
  beforeAll(async () => {
    agent = await startAgentProcess({ args: ["--max-object-size", "64K"] });
    B = agent.base;
  });
  afterAll(async () => {
    expect(await agent.stop()).toBe(0);
  });

  const store = (body: Uint8Array) => curl(["-X", "PUT", "-H", "Content-Type: application/x-pvr-objects", "--data-binary", `@${tempFile(body)}`, `${B}/objects/store`]);
  const ask = (route: string, ids: unknown) => curl(["-X", "POST", "-H", "Content-Type: application/json", "--data-binary", JSON.stringify({ objects: ids }), `${B}/objects/${route}`]);
  const object = (sha: string) => join(agent.storage, "objects", sha);
  const tempsLeft = () => readdirSync(join(agent.storage, "objects", ".pvr-tmp"));

  test(".pvrremote names the batch endpoint", () => {
    expect(JSON.parse(curl([`${B}/.pvrremote`]).body)["objects-batch-endpoint"]).toBe(`${B}/objects`);
  });

  test("store, then missing and fetch give back exactly what was stored", () => {
    const a = "first object\n";
    const b = "second one, a little longer\n";
    const empty = "";
    const r = store(Buffer.concat([frame(a), frame(b), frame(empty)]));
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ stored: 3, present: 0 });
    expect(readFileSync(object(sha256(a)), "utf8")).toBe(a);
    expect(readFileSync(object(sha256(empty)), "utf8")).toBe("");

    const again = store(frame(a));
    expect(JSON.parse(again.body)).toEqual({ stored: 0, present: 1 });

    const absent = sha256("never sent");
    expect(JSON.parse(ask("missing", [sha256(a), absent, sha256(b)]).body)).toEqual({ missing: [absent] });

    const f = curl(["-X", "POST", "-H", "Content-Type: application/json", "--data-binary", JSON.stringify({ objects: [sha256(b), sha256(a)] }), `${B}/objects/fetch`]);
    expect(f.status).toBe(200);
    expect(f.headers["content-type"]).toBe("application/x-pvr-objects");
    expect(f.body).toBe(Buffer.concat([frame(b), frame(a)]).toString());

    const notHere = ask("fetch", [sha256(a), absent]);
    expect(notHere.status).toBe(404);
    expect(JSON.parse(notHere.body).missing).toEqual([absent]);
    expect(tempsLeft()).toEqual([]);
  });

  test("a wrong object stops the upload; the verified ones before it are kept, nothing partial is", () => {
    const good = "verified before the bad one\n";
    const before = objectNames(agent.storage);
    const liar = Buffer.concat([Buffer.from(`${sha256("what it claims")} 4\n`), Buffer.from("evil")]);
    const r = store(Buffer.concat([frame(good), liar, frame("never reached\n")]));
    expect(r.status).toBe(422);
    expect(JSON.parse(r.body).Error).toContain("hash to");
    expect(objectNames(agent.storage).sort()).toEqual([...before, sha256(good)].sort());
    expect(existsSync(object(sha256("what it claims")))).toBe(false);
    expect(existsSync(object(sha256("never reached\n")))).toBe(false);
    expect(tempsLeft()).toEqual([]);
  });

  test("truncated, malformed and oversized uploads are refused and store nothing of that object", () => {
    const snap = () => snapshotTree(join(agent.storage, "objects"));
    const before = snap();
    const big = "y".repeat(100);
    const truncated = store(frame(big).subarray(0, 90));
    expect(truncated.status).toBe(400);
    expect(JSON.parse(truncated.body).Error).toContain("middle of an object");
    expect(store(Buffer.from("this is not a frame\n")).status).toBe(400);
    const huge = `${sha256("z")} ${70 * 1024}\n`;
    expect(store(Buffer.concat([Buffer.from(huge), Buffer.alloc(70 * 1024)])).status).toBe(413);
    expect(snap()).toEqual(before);
  });

  test("id lists must be lists of sha256 ids", () => {
    expect(ask("missing", ["../../etc/passwd"]).status).toBe(400);
    expect(ask("fetch", "nope").status).toBe(400);
    expect(curl(["-X", "POST", "--data-binary", "{", `${B}/objects/missing`]).status).toBe(400);
  });
});

describe("a full disk on the agent", () => {
  const dir = tmpdir("pvr-batch-full-");
  const mounted = Bun.spawnSync(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", dir]).exitCode === 0;
  afterAll(() => {
    if (mounted) Bun.spawnSync(["umount", "-l", dir]);
  });

  test.skipIf(!mounted)("507; the objects that fitted are installed, nothing partial or temporary is left", async () => {
    const storage = join(dir, "storage");
    const { ctx } = await openAgent(resolveConfig({ storage, backend: "standalone" }, "/"), () => {});
    try {
      const big = Buffer.alloc(2 << 20, 9);
      const body = new Blob([frame("fits\n"), frame("fits too\n"), frame(big)]).stream();
      const err = await storeObjects(ctx, body).catch((e) => e);
      expect([err.httpStatus, err.message]).toEqual([507, "Not enough disk space available"]);
      expect(readFileSync(join(storage, "objects", sha256("fits\n")), "utf8")).toBe("fits\n");
      expect(existsSync(join(storage, "objects", sha256("fits too\n")))).toBe(true);
      expect(existsSync(join(storage, "objects", sha256(big)))).toBe(false);
      expect(readdirSync(join(storage, "objects", ".pvr-tmp"))).toEqual([]);
    } finally {
      await closeAgent(ctx);
    }
  });
});

/**
 * Has the agent serve `key`'s object (`content`) as `tampered`, clones, and checks the refusal:
 * a failure naming the object and its key, no clone, the object not installed. Returns the
 * clone's config dir.
 */
async function expectCorruptedRefused(agent: AgentProcess, base: string, key: string, content: string, tampered: string): Promise<string> {
  const victim = sha256(content);
  writeFileSync(join(agent.storage, "objects", victim), tampered);
  const cfg = join(base, "cfg-bad");
  const r = await pvrAsync(base, ["clone", agent.base, join(base, "bad")], { PVR_CONFIG_DIR: cfg });
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain(victim);
  expect(r.stderr).toContain(key);
  expect(existsSync(join(base, "bad"))).toBe(false);
  expect(existsSync(join(cfg, "objects", victim))).toBe(false);
  return cfg;
}

describe("the CLI over batches", () => {
  let agent: AgentProcess;
  const base = tmpdir("pvr-batch-");
  beforeAll(async () => {
    agent = await startAgentProcess({ storage: join(base, "storage") });
  });
  afterAll(async () => {
    expect(await agent.stop()).toBe(0);
  });

  const files: Record<string, string> = {};
  // over 500 objects: a clone flushes its groups in the background (BackgroundSync)
  for (let i = 0; i < 600; i++) files[`app/d${i % 7}/f${i}.txt`] = `file ${i}\n`.repeat(1 + (i % 13));
  files["app/copy.txt"] = files["app/d0/f0.txt"] as string; // the same object under two keys
  files["bsp/big.bin"] = "B".repeat(1_300_000); // over the in-memory limit: streamed to a temp file

  test("post sends hundreds of objects in a few requests; clone brings them back identical", async () => {
    const src = join(base, "src");
    writeTree(src, files);
    await pvrAsyncOk(src, ["init"]);
    await pvrAsyncOk(src, ["add", "."]);
    await pvrAsyncOk(src, ["commit", "-m", "many"]);
    await pvrAsyncOk(src, ["post", "--wait", agent.base]);
    const uploads = agent.log().split("\n").filter((l) => l.includes("/objects/store 200")).length;
    expect(uploads).toBeGreaterThan(0);
    expect(uploads).toBeLessThanOrEqual(16);
    expect(agent.log()).not.toContain("/blob 200");

    const out = join(base, "out");
    await pvrAsyncOk(base, ["clone", agent.base, out], { PVR_CONFIG_DIR: join(base, "cfg-clone") });
    for (const [k, v] of Object.entries(files)) expect(readFileSync(join(out, k), "utf8")).toBe(v);
    expect(agent.log()).toContain("/objects/fetch 200");
    const st = await pvrAsyncOk(out, ["status"], { PVR_CONFIG_DIR: join(base, "cfg-clone") });
    expect(st.stdout.trim()).toBe("");
    expect(readdirSync(join(base, "cfg-clone", "objects", ".pvr-tmp"))).toEqual([]);
  });

  test("a clone killed while objects arrive leaves only verified objects under their names", async () => {
    const cfg = join(base, "cfg-killed");
    const objects = join(cfg, "objects");
    const installed = () => (existsSync(objects) ? readdirSync(objects).filter((n) => n !== ".pvr-tmp") : []);
    const proc = Bun.spawn([BUN, CLI, "clone", agent.base, join(base, "killed")], { cwd: base, env: { ...process.env, PVR_CONFIG_DIR: cfg }, stdout: "ignore", stderr: "ignore" });
    // killed as soon as objects start entering the store: in the middle of installing them
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && proc.exitCode === null && installed().length === 0) await Bun.sleep(1);
    proc.kill("SIGKILL");
    await proc.exited;
    const names = installed();
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) expect(sha256(readFileSync(join(objects, name)))).toBe(name);
  });

  test.skipIf(process.getuid?.() !== 0)("a clone onto a full disk stops at once with one disk-full error and leaves no temporary directory", async () => {
    const dir = tmpdir("pvr-clone-full-");
    expect(Bun.spawnSync(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", dir]).exitCode).toBe(0);
    try {
      const r = await pvrAsync(dir, ["clone", agent.base, join(dir, "out")], { PVR_CONFIG_DIR: join(dir, "cfg") });
      expect(r.code).toBe(9);
      const errors = r.stderr.split("\n").filter((l) => l.startsWith("ERROR"));
      expect(errors.length).toBe(1);
      expect(errors[0]).toContain("no space left on device");
      expect(r.stderr).not.toContain("RETRY");
      expect(readdirSync(dir).sort()).toEqual(["cfg"]);
      expect(readdirSync(join(dir, "cfg", "objects", ".pvr-tmp"))).toEqual([]);
    } finally {
      Bun.spawnSync(["umount", "-l", dir]);
    }
  });

  test("an object the agent serves corrupted is refused by name; no clone, nothing installed", async () => {
    const cfg = await expectCorruptedRefused(agent, base, "app/d3/f3.txt", files["app/d3/f3.txt"] as string, "tampered on the device\n");
    // the batch failed, so that group went object by object: the rest still arrived verified
    expect(readdirSync(join(cfg, "objects")).length).toBeGreaterThan(590);
  });
});

describe("a clone of a few big objects", () => {
  let agent: AgentProcess;
  const base = tmpdir("pvr-blobs-");
  const files: Record<string, string> = {
    "a.bin": "a".repeat(6 << 20),
    "b.bin": "b".repeat(5 << 20),
    "c/c.bin": "c".repeat(8 << 20),
    "same.bin": "b".repeat(5 << 20), // the object of b.bin under a second key
    "small.txt": "small\n", // under 4 MiB: received on the main thread
  };
  beforeAll(async () => {
    agent = await startAgentProcess({ storage: join(base, "storage") });
    const src = join(base, "src");
    writeTree(src, files);
    await pvrAsyncOk(src, ["init"]);
    await pvrAsyncOk(src, ["add", "."]);
    await pvrAsyncOk(src, ["commit", "-m", "blobs"]);
    await pvrAsyncOk(src, ["post", "--wait", agent.base]);
  });
  afterAll(async () => {
    expect(await agent.stop()).toBe(0);
  });

  test("each big object is received on a worker thread; the tree and the store are whole and clean", async () => {
    const cfg = join(base, "cfg");
    const out = join(base, "out");
    const r = await pvrAsyncOk(base, ["--debug", "clone", agent.base, out], { PVR_CONFIG_DIR: cfg });
    if (navigator.hardwareConcurrency > 1) expect(r.stderr.match(/received on a worker thread/g)?.length).toBe(3);
    for (const [k, v] of Object.entries(files)) expect(readFileSync(join(out, k), "utf8")).toBe(v);
    for (const v of new Set(Object.values(files))) expect(readFileSync(join(cfg, "objects", sha256(v)), "utf8")).toBe(v);
    expect(readdirSync(join(cfg, "objects", ".pvr-tmp"))).toEqual([]);
    expect((await pvrAsyncOk(out, ["status"], { PVR_CONFIG_DIR: cfg })).stdout).toBe("");
  });

  test("an object served corrupted is refused by name; no clone, nothing of it installed", async () => {
    const cfg = await expectCorruptedRefused(agent, base, "c/c.bin", files["c/c.bin"] as string, `${"c".repeat((8 << 20) - 1)}X`);
    expect(readdirSync(join(cfg, "objects", ".pvr-tmp"))).toEqual([]);
  });
});
