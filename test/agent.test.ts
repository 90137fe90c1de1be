/**
 * `pvr agent` as a real process on a real socket, driven by curl and fetch: readiness, the
 * remote description, states, objects (info, bytes with HEAD and Range, announcements, uploads
 * good and bad), posts that deploy trails by hardlinks, and requests that must change nothing.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { sha256 } from "./helpers";
import { type AgentProcess, curl, objectNames, rawRequest, snapshotStorage, startAgentProcess, tempFile } from "./agent-helpers";

let agent: AgentProcess;
let B: string;
const MAX = 64 * 1024;

beforeAll(async () => {
  agent = await startAgentProcess({ args: ["--max-object-size", "64K", "--max-json-size", "128K"] });
  B = agent.base;
});
afterAll(async () => {
  expect(await agent.stop()).toBe(0);
});

const json = (r: { body: string }) => JSON.parse(r.body);
const announce = (sha: string, size: number, name = "app/file") =>
  curl(["-X", "POST", "-H", "Content-Type: application/json", "--data-binary", JSON.stringify({ id: "", objectname: name, sha256sum: sha, size: String(size) }), `${B}/objects/`]);
const upload = (data: string | Uint8Array, sha = sha256(data), extra: string[] = []) => curl(["-X", "PUT", "--data-binary", `@${tempFile(data)}`, ...extra, `${B}/objects/${sha}/blob`]);
const post = (envelope: unknown) => curl(["-X", "POST", "-H", "Content-Type: text/plain; charset=utf-8", "--data-binary", typeof envelope === "string" ? envelope : JSON.stringify(envelope), `${B}/steps`]);

describe("reading", () => {
  test("readiness: GET and HEAD /cgi-bin/pvr", () => {
    const r = curl([B]);
    expect(r.status).toBe(200);
    expect(json(r)).toMatchObject({ "pvr-spec": "pvr-pantahub-1", backend: "standalone", revision: "0" });
    expect(curl(["-I", B]).status).toBe(200);
  });

  test(".pvrremote URLs are absolute and follow the Host the client used (IPv6 in brackets)", async () => {
    const own = (await (await fetch(`${B}/.pvrremote`)).json()) as Record<string, unknown>;
    expect(own).toMatchObject({ "json-get-url": `${B}/state`, "objects-endpoint": `${B}/objects`, "post-url": `${B}/steps`, "json-key": "state" });
    const v4 = json(curl(["-H", "Host: 10.1.2.3:12368", `${B}/.pvrremote`]));
    expect(v4["json-get-url"]).toBe("http://10.1.2.3:12368/cgi-bin/pvr/state");
    const v6 = json(curl(["-H", "Host: [fe80::1]:12368", `${B}/.pvrremote`]));
    expect(v6["objects-endpoint"]).toBe("http://[fe80::1]:12368/cgi-bin/pvr/objects");
  });

  test("state of the factory revision 0 is the empty state, canonical", () => {
    const r = curl([`${B}/state`]);
    expect([r.status, r.body]).toEqual([200, '{"#spec":"pantavisor-service-system@1"}']);
    expect(readFileSync(join(agent.storage, "trails/0/.pvr/json"), "utf8")).toBe(r.body);
  });

  test("unknown routes and unknown objects are 404 with a JSON error", () => {
    expect(curl([`${B}/nope`]).status).toBe(404);
    const r = curl([`${B}/objects/${"a".repeat(64)}`]);
    expect(r.status).toBe(404);
    expect(json(r).Error).toContain("not on this device");
    expect(curl([`${B}/objects/${"a".repeat(64)}/blob`]).status).toBe(404);
  });
});

describe("objects", () => {
  const data = "0123456789abcdef".repeat(100);
  const sha = sha256(data);

  test("announce → 200 with signed-puturl, upload → installed, announce again → 409", () => {
    const a = announce(sha, data.length, "app/root.squashfs");
    expect(a.status).toBe(200);
    expect(json(a)["signed-puturl"]).toBe(`${B}/objects/${sha}/blob`);
    const u = curl(["-X", "PUT", "--data-binary", `@${tempFile(data)}`, json(a)["signed-puturl"]]);
    expect(u.status).toBe(200);
    expect(readFileSync(join(agent.storage, "objects", sha), "utf8")).toBe(data);
    expect(objectNames(agent.storage)).toContain(sha);
    for (const url of [`${B}/objects/`, `${B}/objects`]) {
      const again = curl(["-X", "POST", "--data-binary", JSON.stringify({ sha256sum: sha, size: String(data.length) }), url]);
      expect(again.status).toBe(409);
      expect(again.headers["pantahub-object-type"]).toBe("object");
    }
  });

  test("object info: ObjectWithAccess with a string size and an absolute signed-geturl", () => {
    const info = json(curl([`${B}/objects/${sha}`]));
    expect(info).toMatchObject({ sha256sum: sha, size: String(data.length), objectname: "app/root.squashfs", "signed-geturl": `${B}/objects/${sha}/blob` });
  });

  test("blob: GET, HEAD with Content-Length, Range 206 and 416", async () => {
    const g = curl([`${B}/objects/${sha}/blob`]);
    expect([g.status, g.body, g.headers["content-length"]]).toEqual([200, data, String(data.length)]);
    const h = curl(["-I", `${B}/objects/${sha}/blob`]);
    expect([h.status, h.headers["content-length"], h.headers["accept-ranges"]]).toEqual([200, String(data.length), "bytes"]);
    const r = curl(["-r", "16-31", `${B}/objects/${sha}/blob`]);
    expect([r.status, r.body, r.headers["content-range"]]).toEqual([206, data.slice(16, 32), `bytes 16-31/${data.length}`]);
    const tail = await fetch(`${B}/objects/${sha}/blob`, { headers: { Range: "bytes=-5" } });
    expect([tail.status, await tail.text()]).toEqual([206, data.slice(-5)]);
    const bad = curl(["-r", `${data.length}-`, `${B}/objects/${sha}/blob`]);
    expect([bad.status, bad.headers["content-range"]]).toEqual([416, `bytes */${data.length}`]);
  });

  test("a body that does not hash to the sha is 422 and nothing is installed", () => {
    const before = snapshotStorage(agent.storage);
    const wrong = sha256("something else");
    const r = upload("not what the name says", wrong);
    expect(r.status).toBe(422);
    expect(json(r).Error).toContain("bad checksum");
    expect(snapshotStorage(agent.storage)).toEqual(before);
  });

  test("a size different from the announced one is 422", () => {
    const d = "short body";
    expect(announce(sha256(d), d.length + 5).status).toBe(200);
    const before = snapshotStorage(agent.storage);
    expect(upload(d).status).toBe(422);
    expect(snapshotStorage(agent.storage)).toEqual(before);
  });

  test("a truncated upload (client gone before Content-Length bytes) installs nothing", async () => {
    const d = "x".repeat(5000);
    const s = sha256(d);
    const before = snapshotStorage(agent.storage);
    await rawRequest(agent.port, `PUT /cgi-bin/pvr/objects/${s}/blob HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5000\r\n\r\n${d.slice(0, 2000)}`, { closeAfterMs: 300 });
    await Bun.sleep(200);
    expect(objectNames(agent.storage)).not.toContain(s);
    expect(snapshotStorage(agent.storage)).toEqual(before);
    expect(curl([`${B}/objects/${s}`]).status).toBe(404);
  });

  test("over --max-object-size: 413 on announce, on Content-Length and while streaming", async () => {
    const big = "b".repeat(MAX + 1);
    const s = sha256(big);
    const before = snapshotStorage(agent.storage);
    expect(announce(s, big.length).status).toBe(413);
    expect(upload(big).status).toBe(413);
    const chunked = curl(["-X", "PUT", "-H", "Transfer-Encoding: chunked", "--data-binary", `@${tempFile(big)}`, `${B}/objects/${s}/blob`]);
    expect(chunked.status).toBe(413);
    expect(snapshotStorage(agent.storage)).toEqual(before);
  });

  test("a zero-byte object sent chunked (the Go client's way) is installed", () => {
    const empty = sha256("");
    expect(announce(empty, 0, "app/empty").status).toBe(200);
    const r = curl(["-X", "PUT", "-H", "Transfer-Encoding: chunked", "--data-binary", `@${tempFile("")}`, `${B}/objects/${empty}/blob`]);
    expect(r.status).toBe(200);
    expect(readFileSync(join(agent.storage, "objects", empty), "utf8")).toBe("");
  });

  test("malformed and oversized announcements are 400/413 JSON errors", () => {
    expect(curl(["-X", "POST", "--data-binary", "{not json", `${B}/objects/`]).status).toBe(400);
    expect(curl(["-X", "POST", "--data-binary", '{"sha256sum":"abc"}', `${B}/objects/`]).status).toBe(400);
    const huge = curl(["-X", "POST", "--data-binary", `@${tempFile(`{"x":"${"y".repeat(200 * 1024)}"}`)}`, `${B}/objects/`]);
    expect(huge.status).toBe(413);
    expect(json(huge).Error).toContain("--max-json-size");
  });
});

describe("posting revisions", () => {
  const files = { "app/bin": "binary content\n", "bsp/kernel.img": "kernel bytes" };
  const state: Record<string, unknown> = { "#spec": "pantavisor-service-system@1", "app/run.json": { name: "app", n: 1 } };

  beforeAll(() => {
    for (const [k, v] of Object.entries(files)) {
      state[k] = sha256(v);
      expect(upload(v).status).toBe(200);
    }
  });

  test("post → 200 {rev:-1, revlocal, state-sha}; trail laid out by hardlinks, .pvr/json canonical", () => {
    const r = post({ "commit-msg": "first", rev: "locals/first", state });
    expect(r.status).toBe(200);
    const canonical = `{"#spec":"pantavisor-service-system@1","app/bin":"${state["app/bin"]}","app/run.json":{"n":1,"name":"app"},"bsp/kernel.img":"${state["bsp/kernel.img"]}"}`;
    expect(json(r)).toEqual({ rev: -1, revlocal: "locals/first", "state-sha": sha256(canonical), "trail-id": "local", "progress-url": `${B}/steps/locals/first/progress`, trust: { ok: true, problems: [] } });
    const trail = join(agent.storage, "trails/locals/first");
    expect(readFileSync(join(trail, ".pvr/json"), "utf8")).toBe(canonical);
    expect(readFileSync(join(trail, "app/run.json"), "utf8")).toBe('{"n":1,"name":"app"}');
    for (const [k, v] of Object.entries(files)) expect(statSync(join(trail, k)).ino).toBe(statSync(join(agent.storage, "objects", sha256(v))).ino);
    expect(curl([`${B}/state`]).body).toBe(canonical);
    expect(json(curl([`${B}/steps/locals/first/progress`])).status).toBe("DONE");
    expect(json(curl([`${B}/steps/locals/first`]))).toMatchObject({ name: "locals/first", commitmsg: "first", current: true });
  });

  test("rev as a number, as a bare name, or -1 (device-assigned)", () => {
    expect(json(post({ rev: 7, state })).revlocal).toBe("locals/7");
    expect(json(post({ rev: "bare", post: state })).revlocal).toBe("locals/bare");
    expect(json(post({ rev: -1, json: state })).revlocal).toMatch(/^locals\/pvr-\d+-[0-9a-f]{8}$/);
    const names = (json(curl([`${B}/steps`])) as { name: string }[]).map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(["0", "locals/first", "locals/7", "locals/bare"]));
  });

  test("posting under the running revision's name is 409", () => {
    json(post({ rev: "running", state }));
    const r = post({ rev: "running", state });
    expect(r.status).toBe(409);
  });

  test("missing objects: 400 naming each '<key> <sha>', nothing created under trails/", () => {
    const before = snapshotStorage(agent.storage);
    const ghost = sha256("never uploaded");
    const r = post({ rev: "ghost", state: { ...state, "app/extra": ghost } });
    expect(r.status).toBe(400);
    expect(json(r).missing).toEqual([`app/extra ${ghost}`]);
    expect(json(r).Error).toContain(`app/extra ${ghost}`);
    expect(snapshotStorage(agent.storage)).toEqual(before);
  });

  test("traversal keys, malformed JSON, bad #spec, no state: 400 and nothing changed", () => {
    const before = snapshotStorage(agent.storage);
    const sha = state["app/bin"];
    for (const key of ["../escape", "/abs", "a/../../b", ".pvr/json", "a//b", ".pv/x"]) {
      const r = post({ rev: "evil", state: { "#spec": "pantavisor-service-system@1", [key]: sha } });
      expect([key, r.status]).toEqual([key, 400]);
    }
    for (const body of ["{", '{"state":', "[]", '{"rev":"x"}', '{"state":{"#spec":"docker@1"}}', '{"state":{}}', '{"state":{"#spec":"pantavisor-service-system@1","a":"notasha"}}', '{"rev":"../x","state":{"#spec":"pantavisor-service-system@1"}}']) {
      const r = post(body);
      expect([body, r.status]).toEqual([body, 400]);
      expect(typeof json(r).Error).toBe("string");
    }
    expect(snapshotStorage(agent.storage)).toEqual(before);
  });

  test("PUT state (pvr put) installs without running", () => {
    const r = curl(["-X", "PUT", "--data-binary", JSON.stringify(state), `${B}/state`]);
    expect(r.status).toBe(200);
    const rev = json(r).revlocal as string;
    expect(json(curl([`${B}/steps/${rev}/progress`])).status).toBe("NEW");
    expect(json(curl([B])).revision).not.toBe(rev);
  });

  test("a revision can be cloned through its own remote", () => {
    const remote = json(curl([`${B}/revs/locals/first/.pvrremote`]));
    expect(remote["json-get-url"]).toBe(`${B}/revs/locals/first/state`);
    expect(json(curl([`${B}/locals/first/.pvrremote`]))).toEqual(remote);
    expect(json(curl([remote["json-get-url"]]))["app/bin"]).toBe(state["app/bin"]);
    expect(curl([`${B}/revs/0/state`]).body).toBe('{"#spec":"pantavisor-service-system@1"}');
    expect(curl([`${B}/revs/locals/nope/.pvrremote`]).status).toBe(404);
  });
});

describe("meta", () => {
  test("user-meta and device-meta: PUT, GET, list, DELETE, limits", () => {
    for (const kind of ["user-meta", "device-meta"]) {
      expect(curl(["-X", "PUT", "--data-binary", "hello", `${B}/${kind}/app.greeting`]).status).toBe(200);
      expect(curl(["-X", "PUT", "--data-binary", '{"a":[1,2]}', `${B}/${kind}/obj`]).status).toBe(200);
      expect(curl([`${B}/${kind}/app.greeting`]).body).toBe("hello");
      const list = json(curl([`${B}/${kind}`]));
      expect(list["app.greeting"]).toBe("hello");
      expect(list.obj).toEqual({ a: [1, 2] });
      expect(curl(["-X", "PUT", "--data-binary", `@${tempFile("v".repeat(4096))}`, `${B}/${kind}/max`]).status).toBe(200);
      const over = curl(["-X", "PUT", "--data-binary", `@${tempFile("v".repeat(4097))}`, `${B}/${kind}/max`]);
      expect(over.status).toBe(413);
      expect(json(over).Error).toContain("4096");
      expect(curl(["-X", "PUT", "-H", "Content-Length: 0", `${B}/${kind}/empty`]).status).toBe(400);
      expect(curl(["-X", "DELETE", `${B}/${kind}/app.greeting`]).status).toBe(200);
      expect(curl(["-X", "DELETE", `${B}/${kind}/app.greeting`]).status).toBe(404);
      expect(curl([`${B}/${kind}/app.greeting`]).status).toBe(404);
    }
    expect(json(curl([`${B}/device-meta`]))["pantavisor.revision"]).toBe(json(curl([B])).revision);
  });
});
