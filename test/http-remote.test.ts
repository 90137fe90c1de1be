/**
 * clone, get, merge, inspect and put against a protocol-faithful pvr-sdk server on a real socket,
 * with the real CLI as a process: #parts, remembered URLs, cache hits, a connection dropped
 * mid-object and resumed with Range, corrupt bytes rejected by name, 503s retried, and IPv6.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { canonicalize } from "../agent/state/canonical";
import { parseJson } from "../agent/state/json";
import { haveIPv6, sha256, tmpdir, writeTree } from "./helpers";
import { pvrAsync, pvrAsyncOk } from "./support/cli";
import type { PvrSdkServer } from "./support/pvrsdk-server";
import { BIG, FILES, Servers } from "./support/remote-fixture";

const read = (...p: string[]) => readFileSync(join(...p), "utf8");
const servers = new Servers();
afterEach(() => servers.stopAll());
const start = (files?: Record<string, string | Buffer>, host?: string) => servers.start(files, host);

async function clone(ref: string, extra: string[] = [], env: Record<string, string> = {}) {
  const base = tmpdir();
  const r = await pvrAsync(base, ["clone", "-o", join(base, "objs"), ...extra, ref, "dst"], env);
  return { ...r, dir: join(base, "dst"), objects: join(base, "objs"), base };
}

const blobGets = (s: PvrSdkServer) => s.seen.filter((x) => x.method === "GET" && x.path.endsWith("/blob"));

describe("clone, get, merge and inspect over HTTP", () => {
  test("clone copies state and verified objects, checks out and remembers the URL", async () => {
    const s = await start();
    const c = await clone(s.url);
    expect(c.stderr).not.toContain("ERROR");
    expect(c.code).toBe(0);
    expect(c.stdout).toBe(`Successfully cloned: ${c.dir}\n`);
    expect(read(c.dir, ".pvr/json")).toBe(s.stateText as string);
    expect(readFileSync(join(c.dir, "bsp/kernel.img")).equals(BIG)).toBe(true);
    expect(read(c.dir, "_config/app/etc/x.conf")).toBe("x=1\n");
    expect(existsSync(join(c.objects, sha256(BIG)))).toBe(true);
    const cfg = JSON.parse(read(c.dir, ".pvr/config"));
    expect(cfg).toMatchObject({ DefaultGetUrl: s.url, DefaultPutUrl: s.url, DefaultPostUrl: s.url });
    expect(s.lines().slice(0, 2)).toEqual(["GET /cgi-bin/pvr/.pvrremote", "GET /cgi-bin/pvr/state"]);
    expect(blobGets(s)).toHaveLength(3);
    for (const b of blobGets(s)) {
      expect(b.headers["user-agent"]).toBe("PVR client");
      expect(b.headers.authorization).toBeUndefined();
    }
    expect(readdirSync(c.base).filter((n) => n.startsWith("pvr-clone-"))).toEqual([]);
  });

  test("clone URL#parts takes only those parts, and a device URL names the directory after the host", async () => {
    const s = await start();
    const base = tmpdir();
    await pvrAsyncOk(base, ["clone", "-o", join(base, "objs"), `${s.url}#bsp`]);
    const dir = join(base, "127.0.0.1");
    expect(Object.keys(JSON.parse(read(dir, ".pvr/json"))).sort()).toEqual(["#spec", "bsp/kernel.img", "bsp/run.json"]);
    expect(blobGets(s).map((b) => b.path)).toEqual([`/cgi-bin/pvr/objects/${sha256(BIG)}/blob`]);
    expect(s.seen.every((x) => !x.path.includes("#") && !x.path.includes("bsp"))).toBe(true);
    expect(JSON.parse(read(dir, ".pvr/config")).DefaultGetUrl).toBe(`${s.url}#bsp`);
  });

  test("inspect, merge #part and get (remembered URL) follow the remote; cached objects are not downloaded", async () => {
    const s = await start();
    const c = await clone(s.url);
    const before = blobGets(s).length;
    const state = JSON.parse(s.stateText as string);
    state["app/new.bin"] = sha256("new\n");
    state["app/run.json"] = { cfg: { a: 9 } };
    s.objects.set(sha256("new\n"), Buffer.from("new\n"));
    s.stateText = canonicalize(parseJson(JSON.stringify(state)));
    const ins = await pvrAsyncOk(c.dir, ["inspect", `${s.url}#app`]);
    expect(Object.keys(JSON.parse(ins.stdout)).sort()).toEqual(["#spec", "app/new.bin", "app/root.squashfs", "app/run.json"]);
    expect((await pvrAsyncOk(c.dir, ["inspect", "-c", s.url])).stdout).toBe(`${s.stateText}\n`);
    expect(blobGets(s).length).toBe(before);

    await pvrAsyncOk(c.dir, ["merge", `${s.url}#app/run.json`]);
    expect(JSON.parse(read(c.dir, ".pvr/json"))["app/run.json"]).toEqual({ name: "app", cfg: { a: 9, b: 2 } });
    // the remembered DefaultGetUrl now carries the merge's #part: a bare get replaces just that part
    expect(JSON.parse(read(c.dir, ".pvr/config")).DefaultGetUrl).toBe(`${s.url}#app/run.json`);
    expect((await pvrAsyncOk(c.dir, ["get"])).stdout).toContain("Imported 0 objects");
    expect(JSON.parse(read(c.dir, ".pvr/json"))["app/run.json"]).toEqual({ cfg: { a: 9 } });
    const g = await pvrAsyncOk(c.dir, ["get", s.url]);
    expect(g.stdout).toContain("Imported 1 objects");
    expect(read(c.dir, ".pvr/json")).toBe(s.stateText as string);
    expect(blobGets(s).length).toBe(before + 1);
  });

  test("a connection dropped mid-object is resumed with Range and the object verifies", async () => {
    const s = await start();
    s.faults.drop.set(sha256(BIG), { after: 150_000, times: 1 });
    const c = await clone(s.url);
    expect(c.code).toBe(0);
    const ranged = blobGets(s).filter((b) => b.headers.range);
    expect(ranged).toHaveLength(1);
    const from = Number(/^bytes=(\d+)-$/.exec(String(ranged[0]?.headers.range))?.[1]);
    expect(from).toBeGreaterThan(0);
    expect(from).toBeLessThanOrEqual(150_000);
    expect(ranged[0]?.status).toBe(206);
    expect(c.stderr).toContain(`resuming at byte ${from}`);
    expect(readFileSync(join(c.objects, sha256(BIG))).equals(BIG)).toBe(true);
    expect(readdirSync(join(c.objects, ".pvr-tmp"))).toEqual([]);
  });

  test("a server that ignores Range gets a fresh download after a drop", async () => {
    const s = await start();
    s.faults.drop.set(sha256(BIG), { after: 150_000, times: 1 });
    s.faults.noRange.add(sha256(BIG));
    const c = await clone(s.url);
    expect(c.code).toBe(0);
    const gets = blobGets(s).filter((b) => b.path.includes(sha256(BIG)));
    expect(gets.map((b) => [Boolean(b.headers.range), b.status])).toEqual([[false, 200], [true, 200]]);
    expect(readFileSync(join(c.objects, sha256(BIG))).equals(BIG)).toBe(true);
  });

  test("a stalled download times out (PVR_HTTP_TIMEOUT) and resumes", async () => {
    const s = await start();
    s.faults.stall.set(sha256(BIG), { after: 100_000, times: 1 });
    const c = await clone(s.url, [], { PVR_HTTP_TIMEOUT: "1" });
    expect(c.code).toBe(0);
    expect(c.stderr).toContain("timed out");
    expect(blobGets(s).filter((b) => b.headers.range).map((b) => b.headers.range)).toEqual(["bytes=100000-"]);
    expect(readFileSync(join(c.objects, sha256(BIG))).equals(BIG)).toBe(true);
  });

  test("wrong bytes: the object is rejected by name, not installed, and nothing changes", async () => {
    const s = await start();
    const c0 = await clone(s.url);
    const state = JSON.parse(s.stateText as string);
    const evil = sha256("expected\n");
    state["bsp/evil.img"] = evil;
    s.objects.set(evil, Buffer.from("expected\n"));
    s.faults.wrong.add(evil);
    s.stateText = canonicalize(parseJson(JSON.stringify(state)));
    const before = read(c0.dir, ".pvr/json");
    const r = await pvrAsync(c0.dir, ["get", s.url]);
    expect(r.code).toBe(11);
    expect(r.stderr).toContain(`object ${evil} (bsp/evil.img)`);
    expect(r.stderr).toContain("corrupt");
    expect(existsSync(join(c0.objects, evil))).toBe(false);
    expect(read(c0.dir, ".pvr/json")).toBe(before);
    const c = await clone(s.url);
    expect(c.code).toBe(11);
    expect(existsSync(c.dir)).toBe(false);
  });

  test("503 answers are retried (Retry-After honoured) and the clone succeeds", async () => {
    const s = await start();
    s.faults.fail.push({ path: /\/state$/, status: 503, times: 2, retryAfter: "0" });
    s.faults.fail.push({ path: /\/blob$/, status: 503, times: 1 });
    const c = await clone(s.url);
    expect(c.code).toBe(0);
    expect(s.seen.filter((x) => x.path.endsWith("/state")).map((x) => x.status)).toEqual([503, 503, 200]);
    expect(c.stderr).toContain("HTTP 503");
  });

  test("missing remote objects and HTTP errors are reported by name; the state GET status is checked", async () => {
    const s = await start();
    s.objects.delete(sha256("app rootfs\n"));
    const c = await clone(s.url);
    expect(c.code).toBe(12);
    expect(c.stderr).toContain(`object ${sha256("app rootfs\n")} (app/root.squashfs)`);
    s.stateText = undefined;
    const r = await clone(s.url);
    expect(r.code).toBe(12);
    expect(r.stderr).toContain("GET http://127.0.0.1");
    expect(r.stderr).toContain("/state: HTTP 404");
    s.faults.fail.push({ path: /\.pvrremote$/, status: 401, times: 1 });
    const auth = await clone(s.url);
    expect(auth.code).toBe(8);
    expect(auth.stderr).toContain("-a/--access-token");
    const down = await clone("http://127.0.0.1:1/cgi-bin/pvr", [], { PVR_HTTP_RETRIES: "2" });
    expect(down.code).toBe(3);
    expect(down.stderr).toContain("connection refused");
  });

  test("put over HTTP uploads missing objects and PUTs the state", async () => {
    const s = await start();
    const c = await clone(s.url);
    writeTree(c.dir, { "app/extra.bin": "extra\n", "app/empty.bin": "" });
    await pvrAsyncOk(c.dir, ["add", "."]);
    await pvrAsyncOk(c.dir, ["commit", "-m", "x"]);
    const r = await pvrAsyncOk(c.dir, ["put"]);
    expect(r.stderr).toContain("Put 2 objects");
    expect(s.objects.get(sha256("extra\n"))?.toString()).toBe("extra\n");
    const empty = s.seen.find((x) => x.method === "PUT" && x.path.includes(sha256("")));
    expect(empty?.headers["content-length"]).toBe("0");
    expect(empty?.headers["transfer-encoding"]).toBeUndefined();
    expect(s.statePuts.map((b) => b.toString())).toEqual([read(c.dir, ".pvr/json")]);
    expect(s.stateText).toBe(read(c.dir, ".pvr/json"));
    const again = await clone(s.url);
    expect(again.code).toBe(0);
    expect(read(again.dir, "app/empty.bin")).toBe("");
  });
});

describe("IPv6", () => {
  test.skipIf(!haveIPv6())("clone and inspect http://[::1]:PORT/cgi-bin/pvr (skipped without IPv6 loopback)", async () => {
    const s: PvrSdkServer = await start(FILES, "::1");
    expect(s.url).toStartWith("http://[::1]:");
    const c = await clone(`[::1]:${s.port}#app`);
    expect(c.code).toBe(0);
    expect(read(c.dir, "app/root.squashfs")).toBe("app rootfs\n");
  });
});
