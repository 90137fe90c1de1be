/**
 * `pvr agent` as a real process, in its other situations: one update at a time (503 +
 * Retry-After), progress as JSON and as Server-Sent Events, a restart that keeps revisions and
 * meta, token mode (401 without the token, signed blob URLs without it) and read-only mode.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { haveIPv6, sha256, tmpdir } from "./helpers";
import { type AgentProcess, curl, snapshotStorage, startAgentProcess, tempFile } from "./agent-helpers";

const running: AgentProcess[] = [];
afterAll(async () => {
  for (const a of running) if (a.proc.exitCode === null) await a.stop();
});
async function start(opts: Parameters<typeof startAgentProcess>[0]): Promise<AgentProcess> {
  const a = await startAgentProcess(opts);
  running.push(a);
  return a;
}
const json = (r: { body: string }) => JSON.parse(r.body);
const SPEC = "pantavisor-service-system@1";

describe("one update at a time, progress, restart", () => {
  const storage = join(tmpdir("pvr-agent-"), "storage");
  const data = "payload";
  const state = { "#spec": SPEC, "app/x": sha256(data) };

  test("a post while an update is in progress gets 503 + Retry-After; SSE streams until final", async () => {
    const a = await start({ storage, args: ["--settle-time", "1.5"] });
    const B = a.base;
    expect(curl(["-X", "PUT", "--data-binary", data, `${B}/objects/${sha256(data)}/blob`]).status).toBe(200);
    const first = curl(["-X", "POST", "--data-binary", JSON.stringify({ rev: "one", state }), `${B}/steps`]);
    expect(first.status).toBe(200);
    expect(json(curl([`${B}/steps/locals/one/progress`])).status).toBe("INPROGRESS");
    const second = curl(["-X", "POST", "--data-binary", JSON.stringify({ rev: "two", state }), `${B}/steps`]);
    expect(second.status).toBe(503);
    expect(Number(second.headers["retry-after"])).toBeGreaterThan(0);
    expect(json(second).Error).toContain("locals/one");

    const sse = Bun.spawnSync(["curl", "-sS", "-N", "--max-time", "15", `${B}/steps/locals/one/progress/events`]);
    expect(sse.exitCode).toBe(0); // the server ended the stream
    const events = sse.stdout
      .toString()
      .split("\n")
      .filter((l) => l.startsWith("data:"))
      .map((l) => JSON.parse(l.slice(5)).status);
    expect(events).toEqual(["INPROGRESS", "DONE"]);
    expect(sse.stdout.toString()).toContain("event: progress");

    // two posts at once: exactly one wins
    const send = (rev: string) => fetch(`${B}/steps`, { method: "POST", body: JSON.stringify({ rev, state }) });
    const statuses = (await Promise.all([send("three"), send("four")])).map((r) => r.status).sort();
    expect(statuses).toEqual([200, 503]);
    expect(curl(["-X", "PUT", "--data-binary", "kept", `${B}/user-meta/kept.key`]).status).toBe(200);
    expect(await a.stop()).toBe(0);
    expect(a.log()).toContain("pvr agent stopping");
  }, 30_000);

  test("after a restart the revisions, their progress, the current revision and meta are still there", async () => {
    const a = await start({ storage });
    const B = a.base;
    const names = (json(curl([`${B}/steps`])) as { name: string; progress: { status: string } }[]).map((s) => `${s.name}:${s.progress.status}`);
    expect(names).toContain("0:DONE");
    expect(names).toContain("locals/one:DONE");
    expect(names.filter((n) => n.startsWith("locals/three") || n.startsWith("locals/four"))).toHaveLength(1);
    expect(curl([`${B}/user-meta/kept.key`]).body).toBe("kept");
    expect(json(curl([B])).revision).toMatch(/^locals\/(three|four)$/);
    expect(json(curl([`${B}/state`]))).toEqual(state);
    expect(await a.stop()).toBe(0);
  });
});

describe("token mode", () => {
  test("401 without the token, everything with it, signed blob URLs without it", async () => {
    const tokenFile = tempFile("s3cret-token\n");
    const a = await start({ args: ["--token-file", tokenFile] });
    const B = a.base;
    const auth = ["-H", "Authorization: Bearer s3cret-token"];
    for (const url of [B, `${B}/.pvrremote`, `${B}/state`, `${B}/steps`, `${B}/user-meta`]) {
      const r = curl([url]);
      expect([url, r.status]).toEqual([url, 401]);
      expect(json(r).Error).toContain("token");
      expect(r.headers["www-authenticate"]).toStartWith("Bearer");
      expect(curl(["-H", "Authorization: Bearer wrong", url]).status).toBe(401);
      expect(curl([...auth, url]).status).toBe(200);
    }
    const data = "token-mode object";
    const sha = sha256(data);
    const ann = json(curl([...auth, "-X", "POST", "--data-binary", JSON.stringify({ sha256sum: sha, size: String(data.length) }), `${B}/objects/`]));
    expect(ann["signed-puturl"]).toMatch(/\/blob\?exp=\d+&sig=[0-9a-f]{64}$/);
    expect(curl(["-X", "PUT", "--data-binary", data, `${B}/objects/${sha}/blob`]).status).toBe(401);
    expect(curl(["-X", "PUT", "--data-binary", data, ann["signed-puturl"]]).status).toBe(200);
    const info = json(curl([...auth, `${B}/objects/${sha}`]));
    const get = info["signed-geturl"] as string;
    expect(curl([get]).body).toBe(data);
    expect(curl(["-I", get]).status).toBe(200);
    expect(curl(["-r", "0-4", get]).body).toBe("token");
    expect(curl([`${B}/objects/${sha}/blob`]).status).toBe(401);
    expect(curl([get.replace(/sig=./, (m) => (m.endsWith("0") ? "sig=1" : "sig=0"))]).status).toBe(401);
    expect(curl([get.replace(/exp=\d+/, "exp=1")]).status).toBe(401);
    expect(curl(["-X", "PUT", "--data-binary", data, get]).status).toBe(401); // a get URL is not a put URL
    expect(a.log()).not.toContain(" 403 ");
  });
});

test.skipIf(!haveIPv6())("listening on IPv6: --listen [::1]:0, URLs keep the brackets", async () => {
  const a = await start({ listen: "[::1]:0" });
  expect(a.base).toMatch(/^http:\/\/\[::1\]:\d+\/cgi-bin\/pvr$/);
  const remote = json(curl([`${a.base}/.pvrremote`]));
  expect(remote["json-get-url"]).toBe(`${a.base}/state`);
  expect(curl([remote["json-get-url"]]).status).toBe(200);
});

describe("read-only mode", () => {
  test("writes are refused with 405 + Allow, reads work, nothing changes", async () => {
    const a = await start({ args: ["--read-only"] });
    const B = a.base;
    const before = snapshotStorage(a.storage);
    const sha = sha256("x");
    const writes = [
      ["-X", "POST", "--data-binary", JSON.stringify({ state: { "#spec": SPEC } }), `${B}/steps`],
      ["-X", "PUT", "--data-binary", JSON.stringify({ "#spec": SPEC }), `${B}/state`],
      ["-X", "POST", "--data-binary", JSON.stringify({ sha256sum: sha, size: "1" }), `${B}/objects/`],
      ["-X", "PUT", "--data-binary", "x", `${B}/objects/${sha}/blob`],
      ["-X", "PUT", "--data-binary", "v", `${B}/user-meta/k`],
      ["-X", "DELETE", `${B}/device-meta/pantavisor.mode`],
    ];
    for (const w of writes) {
      const r = curl(w);
      expect([w.join(" "), r.status]).toEqual([w.join(" "), 405]);
      expect(r.headers.allow).toBe("GET, HEAD");
      expect(json(r).Error).toContain("read-only");
    }
    expect(curl([`${B}/state`]).status).toBe(200);
    expect(json(curl([B]))["read-only"]).toBe(true);
    expect(snapshotStorage(a.storage)).toEqual(before);
  });
});
