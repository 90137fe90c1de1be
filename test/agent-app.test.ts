/**
 * The agent's hono app in-process through `app.request()`: fast route and error-mapping checks,
 * the runner refusing a second transition while a slow backend runs, and actions called
 * without HTTP at all.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { AgentContext } from "../agent/actions/context";
import { postRevision } from "../agent/actions/post";
import { receiveObject } from "../agent/actions/upload";
import { resolveConfig } from "../agent/config";
import { PvrError } from "../agent/errors";
import { parseJson } from "../agent/state/json";
import { closeAgent, openAgent } from "../agent/service";
import { sha256, tmpdir } from "./helpers";

let open: AgentContext[] = [];
afterEach(async () => {
  for (const c of open) await closeAgent(c);
  open = [];
});

async function setup(flags: Record<string, string | boolean> = {}) {
  const storage = join(tmpdir("pvr-app-"), "storage");
  const { ctx, app } = await openAgent(resolveConfig({ storage, backend: "standalone", ...flags }, "/"), () => {});
  open.push(ctx);
  const req = (path: string, init?: RequestInit) => app.request(`http://10.0.0.5:12368/cgi-bin/pvr${path}`, init);
  return { ctx, app, req, storage };
}
const SPEC = "pantavisor-service-system@1";

describe("routes", () => {
  test("readiness, remote, state, steps, revision entry", async () => {
    const { req } = await setup();
    expect((await req("")).status).toBe(200);
    expect((await req("", { method: "HEAD" })).status).toBe(200);
    expect(await (await req("/.pvrremote")).json()).toMatchObject({ "json-get-url": "http://10.0.0.5:12368/cgi-bin/pvr/state" });
    expect(await (await req("/state")).text()).toBe(`{"#spec":"${SPEC}"}`);
    expect(await (await req("/steps/0")).json()).toMatchObject({ name: "0", current: true, progress: { status: "DONE", "status-msg": "Factory revision" } });
    expect(await (await req("/current/.pvrremote")).json()).toMatchObject({ "json-get-url": "http://10.0.0.5:12368/cgi-bin/pvr/revs/0/state" });
  });

  test("bad names and paths: 400/404 JSON errors, never 401/403", async () => {
    const { req } = await setup();
    for (const path of ["/steps/locals/../progress", "/steps/locals/a/b/progress", "/objects/xyz", "/revs/..%2F/state", "/user-meta/a/b"]) {
      const r = await req(path);
      expect([path, [400, 404].includes(r.status)]).toEqual([path, true]);
      expect(((await r.json()) as { Error: unknown }).Error).toBeString();
    }
    expect((await req("/steps/99/progress")).status).toBe(404);
    for (const key of ["a%2Fb", "a%00b"]) expect((await req(`/user-meta/${key}`, { method: "PUT", body: "x" })).status).toBe(400);
  });

  test("rev values that are not revisions are 400", async () => {
    const { req } = await setup();
    for (const rev of ["-2", "1.5", "true", '"a/b"', '"locals/"', `"${"x".repeat(65)}"`]) {
      const r = await req("/steps", { method: "POST", body: `{"rev":${rev},"state":{"#spec":"${SPEC}"}}` });
      expect([rev, r.status]).toEqual([rev, 400]);
    }
  });

  test("errors map in one place: permission problems never become 403", async () => {
    const { ctx, req } = await setup();
    ctx.backend.getMeta = async () => {
      throw new PvrError("permission", "cannot read meta: permission denied");
    };
    const r = await req("/user-meta");
    expect(r.status).toBe(500);
    expect(await r.json()).toEqual({ Error: "cannot read meta: permission denied" });
  });
});

describe("runner", () => {
  test("a second post while a slow run is in flight gets 503 + Retry-After", async () => {
    const { ctx, req } = await setup();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const run = ctx.backend.run.bind(ctx.backend);
    ctx.backend.run = async (rev, signal) => {
      await gate;
      return run(rev, signal);
    };
    const body = (rev: string) => JSON.stringify({ rev, state: { "#spec": SPEC } });
    const first = req("/steps", { method: "POST", body: body("slow") });
    await Bun.sleep(50);
    const second = await req("/steps", { method: "POST", body: body("other") });
    expect(second.status).toBe(503);
    expect(second.headers.get("retry-after")).toBe("10");
    expect((await req("")).status).toBe(200); // reads are not blocked
    release();
    expect((await first).status).toBe(200);
    expect((await req("/steps", { method: "POST", body: body("other") })).status).toBe(200);
  });
});

describe("actions without HTTP", () => {
  test("an upload larger than the free space is 507 before anything is written", async () => {
    const { ctx, storage } = await setup();
    ctx.config.maxObjectSize = 2 ** 60;
    const err = await receiveObject(ctx, sha256("x"), new Blob(["x"]).stream(), 10 ** 16).catch((e) => e);
    expect([err.httpStatus, err.message]).toEqual([507, "Not enough disk space available"]);
    expect(existsSync(join(storage, "objects", sha256("x")))).toBe(false);
  });

  test("receiveObject and postRevision", async () => {
    const { ctx, storage } = await setup();
    const data = new TextEncoder().encode("direct");
    const got = await receiveObject(ctx, sha256(data), new Blob([data]).stream(), data.length);
    expect(got).toEqual({ sha: sha256(data), size: data.length, fresh: true });
    const posted = await postRevision(ctx, parseJson(`{"rev":"direct","state":{"#spec":"${SPEC}","f":"${sha256(data)}"}}`));
    expect(posted.rev).toBe("locals/direct");
    expect(existsSync(join(storage, "trails/locals/direct/f"))).toBe(true);
    expect(await ctx.backend.currentRevision()).toBe("locals/direct");
    expect(ctx.store.events.recent().map((e) => e.kind)).toEqual(expect.arrayContaining(["object", "post", "current", "progress"]));
  });
});

describe("review regressions", () => {
  test("a huge commit message is cut to 256 bytes in linear time, at a character boundary", async () => {
    const { req, ctx } = await setup();
    const msg = "é".repeat(400_000);
    const r = await req("/steps", { method: "POST", body: JSON.stringify({ rev: "locals/big", "commit-msg": msg, state: { "#spec": SPEC } }) });
    expect(r.status).toBe(200);
    // (the old quadratic cut took minutes here: bun's per-test timeout is the guard)
    const stored = ctx.store.revisions.get("locals/big")?.commitMsg ?? "";
    expect(Buffer.byteLength(stored)).toBe(256);
    expect(stored).toBe("é".repeat(128));
  });

  test("re-posting an existing revision name is refused and keeps that revision intact", async () => {
    const { req, storage } = await setup();
    const post = (rev: string, extra: Record<string, string>) =>
      req("/steps", { method: "POST", body: JSON.stringify({ rev, state: { "#spec": SPEC, "a.json": extra } }) });
    expect((await post("locals/keep", { v: "1" })).status).toBe(200);
    expect((await post("locals/other", { v: "2" })).status).toBe(200);
    const again = await post("locals/keep", { v: "3" });
    expect(again.status).toBe(409);
    expect(await (await req("/revs/locals/keep/state")).text()).toBe(`{"#spec":"${SPEC}","a.json":{"v":"1"}}`);
    expect(existsSync(join(storage, "trails/locals/keep/a.json"))).toBe(true);
  });

  test("a pv-ctrl 503 keeps its Retry-After and a Parser 422 stays 422", async () => {
    const { ctx, req } = await setup();
    const { PvCtrlError } = await import("../agent/device/pvctrl");
    ctx.backend.getMeta = async () => {
      throw new PvCtrlError(503, "A command is already in progress. Try again", "GET /user-meta", 120);
    };
    const busy = await req("/user-meta");
    expect(busy.status).toBe(503);
    expect(busy.headers.get("Retry-After")).toBe("120");
    ctx.backend.getMeta = async () => {
      throw new PvCtrlError(422, "Parser: State JSON has bad format", "PUT /steps/locals/x");
    };
    expect((await req("/user-meta")).status).toBe(422);
  });
});
