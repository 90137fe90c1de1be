/**
 * The pv-ctrl simulator against device.md section 2 over its real unix socket, with raw HTTP:
 * the Host rule, routing errors, exact error strings and status codes, 503 + Retry-After.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { rawRequest } from "./pvsim/raw";
import { PvSim } from "./pvsim/sim";

let sim: PvSim;
beforeEach(() => {
  sim = PvSim.start({ stepMs: 30, commandDelayMs: 200 });
});
afterEach(() => sim.stop());

const req = (method: string, uri: string, body = "", extra = "Host: localhost") =>
  rawRequest(sim.socketPath, `${method} ${uri} HTTP/1.1\r\n${extra}\r\nContent-Length: ${Buffer.byteLength(body)}`, body);
const error = (r: { body: string }) => (JSON.parse(r.body) as { Error: string }).Error;
const sha = (s: string) => createHash("sha256").update(s).digest("hex");

describe("transport (2.1)", () => {
  test("a Host other than localhost gets the connection closed without a response", async () => {
    expect((await req("GET", "/steps", "", "Host: example.com")).status).toBeNull();
    expect((await req("GET", "/steps", "", "Host: localhost:1234")).status).toBe(200);
    expect((await rawRequest(sim.socketPath, "GET /steps HTTP/1.0")).status).toBe(200);
  });

  test("method mismatch and unknown endpoints are 400 with the exact messages", async () => {
    for (const [m, u] of [["POST", "/steps"], ["PUT", "/steps/3"], ["DELETE", `/objects/${"a".repeat(64)}`], ["GET", "/commands"]]) {
      const r = await req(m as string, u as string);
      expect([r.status, error(r)]).toEqual([400, "Method not supported for this endpoint"]);
    }
    const r = await req("GET", "/nope/x?y=1");
    expect([r.status, error(r)]).toEqual([400, "unknown endpoint: /nope/x?y=1"]);
    expect(r.headers["content-type"]).toBe("application/json");
  });

  test("a non-mgmt caller gets 403 (both message variants)", async () => {
    sim.opts.mgmt = false;
    expect(error(await req("GET", "/steps"))).toBe("Request not sent from a mgmt platform");
    expect(error(await req("GET", "/steps/0"))).toBe("Request not sent from mgmt platform");
    expect((await req("POST", "/signal", '{"type":"ready","payload":""}')).status).toBe(500);
  });
});

describe("/objects (2.3.1)", () => {
  test("upload verifies the checksum, keeps valid objects, lists sizes as strings", async () => {
    const s = sha("hello");
    expect((await req("PUT", `/objects/${s}`, "hello")).status).toBe(200);
    expect((await req("PUT", `/objects/${s}`, "other bytes")).status).toBe(200); // existing and valid: drained
    const bad = await req("PUT", `/objects/${sha("x")}`, "not x");
    expect([bad.status, error(bad)]).toEqual([422, "Object has bad checksum"]);
    expect(existsSync(join(sim.disk.objects, sha("x")))).toBe(false);
    expect(JSON.parse((await req("GET", "/objects")).body)).toEqual([{ sha256: s, size: "5" }]);
    expect((await req("GET", `/objects/${s}`)).body).toBe("hello");
    for (const u of [`/objects/${sha("missing")}`, "/objects/short"]) {
      const r = await req("GET", u);
      expect([r.status, error(r)]).toEqual([400, "Request has bad object name"]);
    }
  });

  test("disk full: 507 and a partial file left behind", async () => {
    sim.opts.diskFull = true;
    const r = await req("PUT", `/objects/${sha("abcdef")}`, "abcdef");
    expect([r.status, r.headers["content-type"], error(r)]).toEqual([507, "application/json", "Not enough disk space available"]);
    expect(readFileSync(join(sim.disk.objects, sha("abcdef")), "utf8")).toBe("abc");
  });
});

describe("/steps (2.3.2)", () => {
  test("upload writes .pvr/json byte for byte with progress NEW; bad names and bad JSON refused", async () => {
    const state = '{ "#spec": "pantavisor-service-system@1" ,"x.json":{"é":1} }';
    expect((await req("PUT", "/steps/locals/t1", state)).status).toBe(200);
    expect(sim.disk.read("locals/t1", ".pvr/json")).toBe(state);
    expect(JSON.parse((await req("GET", "/steps/locals/t1/progress")).body)).toEqual({
      status: "NEW", "status-msg": "Update ready to be run", progress: 0, retries: 0,
    });
    expect((await req("GET", "/steps/locals/t1")).body).toBe(state);
    expect((await req("GET", "/steps/current")).body).toBe(sim.disk.read("0", ".pvr/json") as string);
    const long = await req("PUT", `/steps/locals/${"n".repeat(65)}`, state);
    expect([long.status, error(long)]).toEqual([400, "Request has bas step name"]);
    const odd = await req("PUT", "/steps//locals/t3", state); // routed (empty segments skipped), name "/locals/t3"
    expect([odd.status, error(odd)]).toEqual([400, "Request has bas step name"]);
    const bad = await req("PUT", "/steps/locals/t2", "{not json");
    expect([bad.status, error(bad)]).toEqual([422, "Parser: State JSON has bad format"]);
    expect(sim.disk.read("locals/t2", ".pvr/json")).toBeNull();
    const missing = await req("GET", "/steps/locals/nope/progress");
    expect([missing.status, error(missing)]).toEqual([404, "Resource does not exist"]);
  });

  test("commitmsg: stored and listed, 400 when empty, 507 over 256 bytes", async () => {
    await req("PUT", "/steps/locals/t1", '{"#spec":"pantavisor-service-system@1"}');
    expect((await req("PUT", "/steps/locals/t1/commitmsg", 'say "hi"')).status).toBe(200);
    expect(error(await req("PUT", "/steps/locals/t1/commitmsg", ""))).toBe("No commit message");
    const big = await req("PUT", "/steps/locals/t1/commitmsg", "m".repeat(257));
    expect([big.status, error(big)]).toEqual([507, "Not enough disk space available"]);
    const list = JSON.parse((await req("GET", "/steps")).body) as { name: string; commitmsg: string }[];
    expect(list.map((r) => [r.name, r.commitmsg])).toEqual([["locals/t1", 'say "hi"'], ["0", ""]]);
  });
});

describe("/commands (2.3.3)", () => {
  test("op and payload are mandatory", async () => {
    for (const body of ['{"op":"LOCAL_RUN"}', '{"payload":"x"}', "nope", '{"op":"NOPE","payload":""}']) {
      const r = await req("POST", "/commands", body);
      expect([r.status, error(r)]).toEqual([400, "Command has bad format"]);
    }
  });

  test("one pending command: 503 + Retry-After 120; during an update: 503 + Retry-After 600", async () => {
    expect((await req("POST", "/commands", '{"op":"ENABLE_SSH","payload":""}')).status).toBe(200);
    const busy = await req("POST", "/commands", '{"op":"DISABLE_SSH","payload":""}');
    expect([busy.status, busy.headers["retry-after"], error(busy)]).toEqual([503, "120", "A command is already in progress. Try again"]);
    await Bun.sleep(300);
    await req("PUT", "/steps/locals/u", '{"#spec":"pantavisor-service-system@1"}');
    expect((await req("POST", "/commands", '{"op":"LOCAL_RUN","payload":"locals/u"}')).status).toBe(200);
    await Bun.sleep(230); // consumed: the update is ongoing
    const ongoing = await req("POST", "/commands", '{"op":"LOCAL_RUN","payload":"locals/u"}');
    expect([ongoing.status, ongoing.headers["retry-after"], error(ongoing)]).toEqual([503, "600", "Cannot do this operation while update is ongoing"]);
    const meta = await req("POST", "/commands", '{"op":"UPDATE_METADATA","payload":{"k":"v"}}');
    expect([meta.status, error(meta)]).toEqual([409, "Cannot do this operation while on local mode"]);
  });
});

describe("/user-meta, /device-meta (6.3)", () => {
  test("Content-Length rules, 507 over 4096, 404 on missing delete, raw keys", async () => {
    const empty = await req("PUT", "/user-meta/k", "");
    expect([empty.status, error(empty)]).toEqual([400, "Cannot add or update user meta"]);
    expect(error(await req("PUT", "/device-meta/k", ""))).toBe("Cannot add or update device meta");
    expect((await req("PUT", "/user-meta/k", "v".repeat(4096))).status).toBe(200);
    expect((await req("PUT", "/user-meta/k", "v".repeat(4097))).status).toBe(507);
    expect(error(await req("DELETE", "/user-meta/none"))).toBe("User meta does not exist");
    expect(error(await req("DELETE", "/device-meta/none"))).toBe("Device meta does not exist");
    await req("PUT", "/user-meta/a?b=1", "q"); // the query stays in the key: why clients never send one
    await req("PUT", "/user-meta/obj", '{"a": [1]}');
    await req("PUT", "/user-meta/num", "123");
    const all = JSON.parse((await req("GET", "/user-meta")).body) as Record<string, unknown>;
    expect([all["a?b=1"], all.obj, all.num]).toEqual(["q", { a: [1] }, "123"]);
  });
});
