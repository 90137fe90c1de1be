/**
 * End to end with real processes on real sockets: `pvr agent` (standalone backend) serving
 * /cgi-bin/pvr, and the CLI cloning from it, committing, posting with --wait, cloning the new
 * revision back with a fresh object store, and editing user-meta. The posted trail must hold
 * hardlinks into the agent's object store.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { BUN, CLI, ROOT, sha256, tmpdir, writeTree } from "./helpers";
import { pvrAsyncOk } from "./support/cli";

let agent: ReturnType<typeof Bun.spawn> | undefined;
let url = "";
const base = tmpdir();
const storage = join(base, "storage");

/** Starts `pvr agent` on a free port and reads its URL from the "listening on" log line. */
async function startAgent(): Promise<void> {
  const proc = Bun.spawn([BUN, CLI, "agent", "--listen", "127.0.0.1:0", "--storage", storage, "--backend", "standalone"], {
    cwd: base,
    env: { ...process.env, NO_COLOR: "1" },
    stdout: "ignore",
    stderr: "pipe",
  });
  agent = proc;
  const reader = (proc.stderr as ReadableStream<Uint8Array>).getReader();
  let log = "";
  const deadline = Date.now() + 15_000;
  while (!/listening on (\S+)/.test(log)) {
    if (Date.now() > deadline) throw new Error(`pvr agent did not start:\n${log}`);
    const { done, value } = await reader.read();
    if (done) throw new Error(`pvr agent exited:\n${log}`);
    log += new TextDecoder().decode(value);
  }
  url = (/listening on (\S+)/.exec(log) as RegExpExecArray)[1] as string;
  void (async () => {
    for (;;) if ((await reader.read()).done) return; // keep draining the log
  })();
}

/** The agent is built beside this client; without it (a partial checkout) these tests are skipped. */
const HAVE_AGENT = existsSync(join(ROOT, "cli", "commands", "agent.ts"));

beforeAll(async () => {
  if (HAVE_AGENT) await startAgent();
});
afterAll(async () => {
  agent?.kill("SIGTERM");
  await agent?.exited;
});

const read = (...p: string[]) => readFileSync(join(...p), "utf8");
const KERNEL = Buffer.from(Array.from({ length: 1_500_000 }, (_, i) => (i * 31) % 253));

describe.skipIf(!HAVE_AGENT)("pvr agent end to end", () => {
  test("clone → edit → commit → post --wait → clone again; the trail hardlinks the agent's objects", async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/cgi-bin\/pvr$/);
    const work = tmpdir();
    await pvrAsyncOk(work, ["clone", "-o", join(work, "objs-a"), url, "dev"]);
    const dev = join(work, "dev");
    writeTree(dev, { "bsp/kernel.img": KERNEL, "app/root.squashfs": "rootfs\n", "app/run.json": '{"name":"app","n":1.50}' });
    await pvrAsyncOk(dev, ["add", "."]);
    await pvrAsyncOk(dev, ["commit", "-m", "e2e"]);

    const r = await pvrAsyncOk(dev, ["post", "--wait", "--json", "-m", "e2e change", "--rev", "locals/e2e"]);
    const out = JSON.parse(r.stdout);
    expect(out.revision).toBe("locals/e2e");
    expect(["DONE", "UPDATED"]).toContain(out.status.status);
    expect(out["state-sha"]).toBe(sha256(read(dev, ".pvr/json")));
    expect(r.stderr).toContain("Successfully posted Revision locals/e2e");
    expect(r.stderr).toMatch(/Revision locals\/e2e: (DONE|UPDATED)/);

    const again = tmpdir();
    await pvrAsyncOk(again, ["clone", "-o", join(again, "objs-b"), `127.0.0.1:${new URL(url).port}`, "copy"]);
    const copy = join(again, "copy");
    expect(read(copy, ".pvr/json")).toBe(read(dev, ".pvr/json"));
    expect(readFileSync(join(copy, "bsp/kernel.img")).equals(KERNEL)).toBe(true);

    const trail = join(storage, "trails", "locals", "e2e");
    const obj = join(storage, "objects", sha256(KERNEL));
    expect(statSync(join(trail, "bsp/kernel.img")).ino).toBe(statSync(obj).ino);
    expect(statSync(obj).nlink).toBeGreaterThanOrEqual(2);

    // a second post of the same state uploads nothing: every object is in the baseline
    const second = await pvrAsyncOk(dev, ["post", "--json", "--rev", "locals/e2e-2"]);
    expect(JSON.parse(second.stdout).objects.uploaded).toBe(0);
  });

  test("device set/get/unset user-meta on the agent", async () => {
    const cwd = tmpdir();
    await pvrAsyncOk(cwd, ["device", "set", url, "pvagent.test=hello world"]);
    expect((await pvrAsyncOk(cwd, ["device", "get", url, "pvagent.test"])).stdout).toBe("hello world\n");
    expect(JSON.parse((await pvrAsyncOk(cwd, ["device", "get", url])).stdout)["pvagent.test"]).toBe("hello world");
    await pvrAsyncOk(cwd, ["device", "unset", url, "pvagent.test"]);
    expect(JSON.parse((await pvrAsyncOk(cwd, ["device", "get", url])).stdout)["pvagent.test"]).toBeUndefined();
  });
});
