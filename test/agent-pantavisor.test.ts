/**
 * `pvr agent --backend pantavisor` as a real process against the pv-ctrl simulator (test/pvsim)
 * on a real unix socket: clone-side reads come from pv-ctrl, a post lays out the trail by
 * hardlinks, then PUT /steps + LOCAL_RUN, and the agent follows Pantavisor's progress (JSON and
 * SSE) and refuses a second post while the update runs. Only fetch here: the simulator serves
 * from this process, so a blocking curl would starve it.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { type AgentProcess, startAgentProcess } from "./agent-helpers";
import { sha256 } from "./helpers";
import { FACTORY_STATE, PvSim } from "./pvsim/sim";

let sim: PvSim;
let agent: AgentProcess;
let B: string;
const storage = () => join(sim.dir, "storage");

beforeAll(async () => {
  sim = PvSim.start({ stepMs: 250, commandDelayMs: 30 });
  agent = await startAgentProcess({ storage: storage(), args: ["--backend", "pantavisor", "--pv-ctrl", sim.socketPath] });
  B = agent.base;
});
afterAll(async () => {
  await agent?.stop();
  sim?.stop();
});

const get = async (path: string) => {
  const r = await fetch(`${B}${path}`);
  return { status: r.status, text: await r.text(), headers: r.headers };
};

test("reads go through pv-ctrl", async () => {
  const ready = JSON.parse((await get("")).text);
  expect(ready).toMatchObject({ backend: "pantavisor", revision: "0" });
  expect(JSON.parse((await get("/state")).text)).toEqual(JSON.parse(FACTORY_STATE));
  expect(JSON.parse((await get("/steps")).text).map((s: { name: string }) => s.name)).toContain("0");
  expect((await fetch(`${B}/user-meta/app.k`, { method: "PUT", body: "v" })).status).toBe(200);
  expect(JSON.parse((await get("/user-meta")).text)["app.k"]).toBe("v");
});

test("post: trail by hardlinks, PUT /steps + LOCAL_RUN, progress followed to UPDATED, 503 meanwhile", async () => {
  const data = "pantavisor payload";
  const sha = sha256(data);
  expect((await fetch(`${B}/objects/${sha}/blob`, { method: "PUT", body: data })).status).toBe(200);
  const state = { "#spec": "pantavisor-service-system@1", "app/x": sha, "device.json": { groups: [] } };
  const r = await fetch(`${B}/steps`, { method: "POST", body: JSON.stringify({ rev: "locals/pv1", "commit-msg": "via agent", state }) });
  expect(r.status).toBe(200);
  expect(await r.json()).toMatchObject({ rev: -1, revlocal: "locals/pv1" });
  const trail = join(storage(), "trails/locals/pv1");
  expect(statSync(join(trail, "app/x")).ino).toBe(statSync(join(storage(), "objects", sha)).ino);
  expect(readFileSync(join(trail, ".pvr/json"), "utf8")).toBe(`{"#spec":"pantavisor-service-system@1","app/x":"${sha}","device.json":{"groups":[]}}`);
  expect(sim.requests.some((q) => q.method === "POST" && q.uri === "/commands")).toBe(true);

  const busy = await fetch(`${B}/steps`, { method: "POST", body: JSON.stringify({ rev: "pv2", state }) });
  expect(busy.status).toBe(503);
  expect(busy.headers.get("retry-after")).toBeTruthy();

  const events = await (await fetch(`${B}/steps/locals/pv1/progress/events`)).text();
  const statuses = events
    .split("\n")
    .filter((l) => l.startsWith("data:"))
    .map((l) => JSON.parse(l.slice(5)).status);
  expect(statuses.at(-1)).toBe("UPDATED");
  expect(JSON.parse((await get("")).text).revision).toBe("locals/pv1");
  await Bun.sleep(700); // the tracker's next poll mirrors the final status
  const again = await fetch(`${B}/steps`, { method: "POST", body: JSON.stringify({ rev: "pv2", state }) });
  expect(again.status).toBe(200);
}, 30_000);
