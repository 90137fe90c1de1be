/**
 * The agent's pure and small parts: listen addresses, the configuration table and its device
 * defaults, the SQLite store (migrations, reopening), signed URLs, Range parsing and revision
 * names.
 */
import { describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { UrlSigner } from "../agent/actions/signing";
import { CONFIG_TABLE, configMarkdown, parseSize, resolveConfig } from "../agent/config";
import { postRevisionName } from "../agent/device/revname";
import { PvrError } from "../agent/errors";
import { formatHostPort, parseListen } from "../agent/listen";
import { parseRange } from "../agent/server/range";
import { AgentStore } from "../agent/store";
import { openDatabase, schemaVersion } from "../agent/store/db";
import { MIGRATIONS } from "../agent/store/migrations";
import { ObjectStore } from "../agent/objects/store";
import { JsonNumber } from "../agent/state/json";
import { WorkerRequests } from "../agent/util/worker";
import { tmpdir } from "./helpers";

describe("listen addresses", () => {
  test("forms", () => {
    expect(parseListen("127.0.0.1:12368")).toEqual({ host: "127.0.0.1", port: 12368 });
    expect(parseListen("[::]:12368")).toEqual({ host: "::", port: 12368 });
    expect(parseListen("[fe80::1%eth0]:80")).toEqual({ host: "fe80::1%eth0", port: 80 });
    expect(parseListen(":8080")).toEqual({ host: "0.0.0.0", port: 8080 });
    expect(parseListen("0")).toEqual({ host: "127.0.0.1", port: 0 });
    for (const bad of ["::1:80", "host", "1.2.3.4:99999", "[::1]", "a b:1"]) expect(() => parseListen(bad)).toThrow(PvrError);
    expect(formatHostPort("::1", 5)).toBe("[::1]:5");
    expect(formatHostPort("10.0.0.1", 5)).toBe("10.0.0.1:5");
  });
});

describe("configuration", () => {
  test("a dev machine: loopback, ./.pvr-agent, standalone", () => {
    const c = resolveConfig({}, "/home/me", () => false);
    expect(c).toMatchObject({ listen: { host: "127.0.0.1", port: 12368 }, storage: "/home/me/.pvr-agent", backend: "standalone", db: "/home/me/.pvr-agent/.pvr-agent/agent.db", readOnly: false });
  });

  test("a device: the first pv-ctrl socket found, all interfaces, /storage", () => {
    const c = resolveConfig({}, "/", (p) => p === "/pantavisor/pv-ctrl");
    expect(c).toMatchObject({ listen: { host: "0.0.0.0", port: 12368 }, storage: "/storage", backend: "pantavisor", pvCtrl: "/pantavisor/pv-ctrl" });
    expect(resolveConfig({ backend: "standalone" }, "/", () => true).backend).toBe("standalone");
    expect(() => resolveConfig({ backend: "pantavisor" }, "/", () => false)).toThrow(/pv-ctrl/);
    expect(() => resolveConfig({ backend: "docker" }, "/", () => false)).toThrow(PvrError);
  });

  test("sizes and the table", () => {
    expect([parseSize("1024", "x"), parseSize("16M", "x"), parseSize("8G", "x"), parseSize("2KiB", "x")]).toEqual([1024, 16 << 20, 8 * 1024 ** 3, 2048]);
    expect(() => parseSize("lots", "x")).toThrow(PvrError);
    for (const e of CONFIG_TABLE) expect(e.env).toStartWith("PVR_AGENT_");
    expect(configMarkdown()).toContain("`--listen HOST:PORT` | `PVR_AGENT_LISTEN`");
  });
});

describe("store", () => {
  test("migrations run once; a reopened database keeps everything", () => {
    const file = join(tmpdir("pvr-db-"), "sub", "agent.db");
    let s = AgentStore.open(file);
    expect(schemaVersion(s.db)).toBe(MIGRATIONS.length);
    expect((s.db.query("PRAGMA journal_mode").get() as { journal_mode: string }).journal_mode).toBe("wal");
    s.revisions.put("locals/a", "f".repeat(64), "msg", { status: "NEW", "status-msg": "Update ready to be run", progress: 0 });
    s.revisions.setProgress("locals/a", { status: "DONE", "status-msg": "ok", progress: 100, logs: "x" });
    s.meta.put("user", "k", "v");
    s.uploads.begin("a".repeat(64), 12, "app/x");
    s.events.add("test", "hello");
    s.close();
    s = AgentStore.open(file);
    expect(s.revisions.get("locals/a")).toMatchObject({ stateSha: "f".repeat(64), commitMsg: "msg", progress: { status: "DONE", logs: "x" } });
    expect(s.meta.all("user")).toEqual({ k: "v" });
    expect(s.uploads.get("a".repeat(64))).toMatchObject({ size: 12, objectName: "app/x" });
    expect(s.events.recent(1)[0]).toMatchObject({ kind: "test", detail: "hello" });
    expect(() => s.meta.put("user", "big", "x".repeat(4097))).toThrow(RangeError);
    s.close();
  });

  test("a database newer than this pvr is refused", () => {
    const file = join(tmpdir("pvr-db-"), "agent.db");
    openDatabase(file, [...MIGRATIONS, { version: 99, name: "future", sql: "SELECT 1" }]).close();
    expect(() => openDatabase(file)).toThrow(/newer than this pvr/);
  });
});

describe("object store presence", () => {
  const id = (i: number) => i.toString(16).padStart(64, "0");
  test("one listing or a lookup each, the same answer; no directory means nothing present", () => {
    const store = new ObjectStore(join(tmpdir(), "objects"));
    const asked = Array.from({ length: 300 }, (_, i) => id(i));
    expect(store.present(asked).size).toBe(0);
    mkdirSync(store.dir, { recursive: true });
    for (let i = 0; i < 300; i += 7) writeFileSync(join(store.dir, id(i)), "x");
    const expected = asked.filter((_, i) => i % 7 === 0);
    expect([...store.present(asked)].sort()).toEqual(expected); // small store: listed
    expect([...store.present(asked.slice(0, 20))].sort()).toEqual(expected.filter((s) => asked.indexOf(s) < 20)); // few questions: looked up
    for (let i = 1000; i < 6000; i++) writeFileSync(join(store.dir, id(i)), "");
    expect([...store.present(asked)].sort()).toEqual(expected); // big store: looked up
  });
});

describe("signed URLs", () => {
  const sha = "c".repeat(64);
  test("verify, expiry, tampering, purpose", () => {
    const s = new UrlSigner("tok", 60);
    const q = new URLSearchParams(s.query("get", sha, 1_000_000).slice(1));
    const [exp, sig] = [q.get("exp") ?? "", q.get("sig") ?? ""];
    expect(s.verify("get", sha, exp, sig, 1_000_000)).toBe(true);
    expect(s.verify("get", sha, exp, sig, 1_000_000 + 61_000)).toBe(false);
    expect(s.verify("put", sha, exp, sig, 1_000_000)).toBe(false);
    expect(s.verify("get", "d".repeat(64), exp, sig, 1_000_000)).toBe(false);
    expect(new UrlSigner("other", 60).verify("get", sha, exp, sig, 1_000_000)).toBe(false);
    expect(new UrlSigner(undefined, 60).query("get", sha)).toBe("");
  });
});

describe("ranges", () => {
  test("single ranges, suffixes, unsatisfiable, ignored", () => {
    expect(parseRange("bytes=0-9", 100)).toEqual({ start: 0, end: 9 });
    expect(parseRange("bytes=90-", 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange("bytes=95-200", 100)).toEqual({ start: 95, end: 99 });
    expect(parseRange("bytes=-10", 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange("bytes=-500", 100)).toEqual({ start: 0, end: 99 });
    expect(parseRange("bytes=100-", 100)).toBe("unsatisfiable");
    expect(parseRange("bytes=0-0", 0)).toBe("unsatisfiable");
    for (const ignored of [undefined, "bytes=0-1,5-6", "items=0-1", "bytes=5-2", "bytes=-"]) expect(parseRange(ignored, 100)).toBeNull();
  });
});

describe("revision names from the post envelope", () => {
  const sha = "0123456789abcdef".repeat(4);
  const none = () => false;
  test("strings, numbers, -1 and collisions", () => {
    expect(postRevisionName("locals/x", sha, none)).toBe("locals/x");
    expect(postRevisionName("x", sha, none)).toBe("locals/x");
    expect(postRevisionName(new JsonNumber("12"), sha, none)).toBe("locals/12");
    expect(postRevisionName(new JsonNumber("-1"), sha, none, 1_700_000_000_000)).toBe("locals/pvr-1700000000-01234567");
    expect(postRevisionName(undefined, sha, (r) => r === "locals/pvr-1700000000-01234567", 1_700_000_000_000)).toBe("locals/pvr-1700000000-01234567-2");
    for (const bad of ["locals/..", "a/b", "locals/a b", new JsonNumber("-3"), new JsonNumber("2.5"), true]) {
      expect(() => postRevisionName(bad, sha, none)).toThrow(PvrError);
    }
  });
});

describe("log lines", () => {
  test("a line longer than a pipe holds arrives whole; a closed descriptor is not fatal", async () => {
    const line = `${"x".repeat(200_000)}\n`;
    // a child that writes one long line to its stderr through writeLine, read here through a pipe
    const child = Bun.spawn([process.execPath, "-e", `require(${JSON.stringify(join(import.meta.dir, "..", "agent/util/log-line.ts"))}).writeLine(2, "x".repeat(200000) + "\\n"); require("node:fs").closeSync(2); require(${JSON.stringify(join(import.meta.dir, "..", "agent/util/log-line.ts"))}).writeLine(2, "gone\\n"); console.log("alive")`], { stderr: "pipe", stdout: "pipe" });
    const [err, out, code] = await Promise.all([new Response(child.stderr).text(), new Response(child.stdout).text(), child.exited]);
    expect([code, out, err.length, err === line]).toEqual([0, "alive\n", line.length, true]);
  });
});

describe("worker requests", () => {
  const url = new URL("./support/dying-worker.ts", import.meta.url);
  test("a worker that dies answers its open request and every later one with null, at once", async () => {
    for (const how of ["die", "exit"]) {
      const w = new WorkerRequests<{ what: string }, { ok: boolean }>("test/support/dying-worker.ts", url);
      expect(await w.request({ what: "ok" })).toMatchObject({ ok: true });
      expect(await w.request({ what: how })).toBeNull();
      const later = await Promise.race([w.request({ what: "ok" }), Bun.sleep(2000).then(() => "hung")]);
      expect(later).toBeNull();
      w.close();
    }
  });
});
