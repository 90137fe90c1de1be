/**
 * PantavisorBackend over a REAL unix socket served by the pv-ctrl simulator (test/pvsim): the
 * install flow of device.md 2.4, failure sequences, meta, Retry-After handling, and following
 * progress across a reboot.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Progress } from "../agent/device/backend";
import { PantavisorBackend } from "../agent/device/pantavisor";
import { PvCtrlError } from "../agent/device/pvctrl";
import { PvrError } from "../agent/errors";
import { PvSim, type PvSimOptions } from "./pvsim/sim";

const STATE = '{\n  "#spec": "pantavisor-service-system@1",\n  "app/run.json": {"name": "app"},\n  "app/root.squashfs": "%SHA%"\n}\n';
let sim: PvSim;
afterEach(() => sim?.stop());

function setup(opts: Partial<PvSimOptions> = {}, backendOpts: Partial<ConstructorParameters<typeof PantavisorBackend>[0]> = {}) {
  sim = PvSim.start({ stepMs: 40, commandDelayMs: 40, rebootMs: 200, ...opts });
  const b = new PantavisorBackend({ socketPath: sim.socketPath, retryUnitMs: 2, follow: { intervalMs: 10 }, ...backendOpts });
  return b;
}

async function follow(b: PantavisorBackend, rev: string): Promise<{ seen: string[]; final: Progress; trouble: number }> {
  const seen: string[] = [];
  let trouble = 0;
  const final = await b.followProgress(rev, (p) => seen.push(`${p.status} ${p["status-msg"]}`), undefined, { onTrouble: () => trouble++ });
  return { seen, final, trouble };
}

async function until(f: () => Promise<boolean>, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await f().catch(() => false))) {
    if (Date.now() > end) throw new Error("condition not reached");
    await Bun.sleep(20);
  }
}

describe("install flow (device.md 2.4)", () => {
  test("objects, state, commitmsg, LOCAL_RUN through a busy 503, progress to UPDATED, then DONE", async () => {
    const b = setup();
    const blob = "squashfs bytes";
    const sha = createHash("sha256").update(blob).digest("hex");
    const file = join(sim.dir, "blob");
    writeFileSync(file, blob);
    expect((await b.listObjects()).has(sha)).toBe(false);
    await b.uploadObject(sha, file);
    expect((await b.listObjects()).get(sha)).toBe(blob.length);

    const state = STATE.replace("%SHA%", sha);
    await b.install("locals/dev-1", state, "first try");
    expect(sim.disk.read("locals/dev-1", ".pvr/json")).toBe(state);
    const info = (await b.listRevisions()).find((r) => r.name === "locals/dev-1");
    expect(info?.commitmsg).toBe("first try");
    expect(info?.progress).toEqual({ status: "NEW", "status-msg": "Update ready to be run", progress: 0, retries: 0 });
    expect(JSON.stringify(await b.revisionState("locals/dev-1"))).toContain('"app/root.squashfs"');

    await b.command("ENABLE_SSH", ""); // pending: the simulator is busy for commandDelayMs
    await b.run("locals/dev-1");
    const cmds = sim.requests.filter((r) => r.uri === "/commands").map((r) => r.status);
    expect(cmds).toEqual([200, 503, 200]);
    const { seen, final } = await follow(b, "locals/dev-1");
    expect(seen.slice(-3)).toEqual([
      "INPROGRESS Transitioning to new revision without rebooting",
      "TESTING Awaiting to see if update is stable",
      "UPDATED Update finished, revision not set as rollback point",
    ]);
    expect(final.progress).toBe(100);
    expect(await b.currentRevision()).toBe("locals/dev-1");

    await b.install("locals/dev-2", state, undefined);
    await b.runCommit("locals/dev-2"); // LOCAL_RUN_COMMIT reboots: the socket goes away meanwhile
    const second = await follow(b, "locals/dev-2");
    expect(second.seen).toEqual([
      "NEW Update ready to be run",
      "INPROGRESS Rebooting",
      "INPROGRESS Trying new revision",
      "TESTING Awaiting to set rollback point if update is stable",
      "DONE Update finished, revision set as rollback point",
    ]);
    expect(second.trouble).toBeGreaterThan(0);
    expect(await b.currentRevision()).toBe("locals/dev-2");
    expect(sim.disk.bootEnv()).toEqual({ rev: "locals/dev-2", tryRev: null });
    // every body went with Content-Length, never chunked
    const bodies = sim.requests.filter((r) => r.method !== "GET");
    expect(bodies.every((r) => r.contentLength !== null && r.transferEncoding === null)).toBe(true);
    expect(sim.requests.every((r) => r.host === "localhost" && !r.uri.includes("?"))).toBe(true);
  }, 15000);

  test("ERROR with logs, then rollback to the previous revision", async () => {
    const b = setup({ outcome: "error" });
    await b.install("locals/bad", STATE.replace("%SHA%", "0".repeat(64)), "will fail");
    await b.run("locals/bad");
    const { seen, final } = await follow(b, "locals/bad");
    expect(seen.at(-1)).toBe("ERROR Status goal not reached");
    expect(final.logs).toContain("status goal timed out");
    await until(async () => (await b.currentRevision()) === "0");
    expect(sim.disk.bootEnv()).toEqual({ rev: "0", tryRev: null });
  }, 10000);

  test("WONTGO, and install refusals", async () => {
    const b = setup({ outcome: "wontgo" });
    await b.install("locals/w", STATE.replace("%SHA%", "0".repeat(64)), undefined);
    await b.run("locals/w");
    expect((await follow(b, "locals/w")).final).toMatchObject({ status: "WONTGO", "status-msg": "State JSON has bad format", progress: 100 });

    const err = await b.install("locals/j", "{nope", undefined).catch((e) => e);
    expect(err).toBeInstanceOf(PvCtrlError);
    expect([err.status, err.detail, err.code]).toEqual([422, "Parser: State JSON has bad format", "badState"]);
    expect(await b.revisionState("locals/j")).toBeNull();
    expect(await b.progress("locals/j")).toBeNull();
    for (const rev of ["3", "locals/a/b", "locals/..", `locals/${"x".repeat(65)}`, "locals/a b"]) {
      expect((await b.install(rev, STATE, undefined).catch((e) => e)).code).toBe("badRef");
    }
    await b.install("locals/r", STATE.replace("%SHA%", "0".repeat(64)), undefined);
    sim.setCurrent("locals/r");
    expect((await b.install("locals/r", STATE, undefined).catch((e) => e)).code).toBe("badState");
  }, 10000);

  test("commit messages over 256 bytes are cut at a character boundary", async () => {
    const b = setup();
    await b.install("locals/m", STATE.replace("%SHA%", "0".repeat(64)), "é".repeat(200));
    expect(sim.disk.read("locals/m", ".pv/commitmsg")).toBe("é".repeat(128));
  });
});

describe("retries", () => {
  test("a Retry-After beyond the wait budget fails at once with 'locked'; abort stops a wait", async () => {
    const b = setup({ stepMs: 2000 }, { maxRetryWaitMs: 1000 });
    await b.install("locals/x", STATE.replace("%SHA%", "0".repeat(64)), undefined);
    await b.run("locals/x");
    await until(async () => (await b.progress("locals/x"))?.status === "INPROGRESS");
    const t0 = Date.now();
    const err = await b.run("locals/x").catch((e) => e);
    expect([err.status, err.retryAfter, err.code, Date.now() - t0 < 500]).toEqual([503, 600, "locked", true]);

    sim.opts.commandDelayMs = 1000;
    const slow = new PantavisorBackend({ socketPath: sim.socketPath, retryUnitMs: 1000 });
    await slow.command("ENABLE_SSH", "").catch(() => {}); // the update is ongoing: ENABLE_SSH is still accepted
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error("stopped")), 100);
    expect(((await slow.command("DISABLE_SSH", "", ac.signal).catch((e) => e)) as Error).message).toBe("stopped");
  }, 10000);
});

describe("meta (device.md 6.3)", () => {
  test("round trips, 4096/4097 bytes, delete of a missing key, refusals before sending", async () => {
    const b = setup();
    for (const kind of ["user", "device"] as const) {
      await b.putMeta(kind, "pvagent.a", "v1");
      await b.putMeta(kind, "pvagent.big", "x".repeat(4096));
      await b.putMeta(kind, "pvagent.obj", '{"a": [1, 2]}');
      const m = await b.getMeta(kind);
      expect([m["pvagent.a"], m["pvagent.big"]?.length, m["pvagent.obj"]]).toEqual(["v1", 4096, '{"a":[1,2]}']);
      expect(await b.deleteMeta(kind, "pvagent.a")).toBe(true);
      expect(await b.deleteMeta(kind, "pvagent.a")).toBe(false);
      expect((await b.getMeta(kind))["pvagent.a"]).toBeUndefined();
    }
    const before = sim.requests.length;
    for (const [k, v] of [["k", "x".repeat(4097)], ["k", ""], ["k", "é".repeat(2049)], ["a?b", "v"], ["a b", "v"], ["a%20", "v"], ["..", "v"], ["a/b", "v"]]) {
      const err = await b.putMeta("user", k as string, v as string).catch((e) => e);
      expect(err).toBeInstanceOf(PvrError);
      expect(err.code).toBe("usage");
    }
    expect(sim.requests.length).toBe(before);
  });
});

describe("following progress", () => {
  test("resumes after the agent restarts and across a reboot in the middle of an update", async () => {
    const b = setup({ stepMs: 150 });
    await b.install("locals/long", STATE.replace("%SHA%", "0".repeat(64)), undefined);
    await b.run("locals/long");
    const ac = new AbortController();
    const first: string[] = [];
    const aborted = b.followProgress("locals/long", (p) => first.push(p.status), ac.signal).catch((e) => e);
    await until(async () => first.includes("INPROGRESS"));
    ac.abort(new Error("agent restarting"));
    expect(((await aborted) as Error).message).toBe("agent restarting");
    const rebooted = sim.reboot(300); // the device reboots while the non-reboot update is still testing
    const resumed = await follow(b, "locals/long");
    await rebooted;
    expect(resumed.trouble).toBeGreaterThan(0);
    expect(resumed.seen.slice(-2)).toEqual([
      "TESTING Awaiting to set rollback point if update is stable",
      "DONE Update finished, revision set as rollback point",
    ]);
  }, 10000);

  test("gives up when the socket stays away longer than the outage budget", async () => {
    const b = setup();
    sim.stop(false);
    const err = await b.followProgress("0", () => {}, undefined, { outageBudgetMs: 100 }).catch((e) => e);
    expect(err.message).toContain("gave up following 0");
  });
});
