/**
 * systemd/pvr-agent.service: `systemd-analyze verify` on a temp copy whose ExecStart points at
 * the real host executable, the offline `systemd-analyze security` exposure score (no running
 * systemd is needed for either), the hardening choices the README promises, and the example
 * environment file against the variables the unit reads and the flags the agent takes.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensureBuilt } from "../cross/release";
import { dist, HAVE_AGENT, NO_AGENT_REASON, ok, scratch, cleanScratch } from "./emulation";
import { ROOT } from "./helpers";

const UNIT = readFileSync(join(ROOT, "systemd/pvr-agent.service"), "utf8");
const ENV = readFileSync(join(ROOT, "systemd/pvr-agent.env"), "utf8");
const ANALYZE = Bun.which("systemd-analyze");
const NO_ANALYZE = "systemd-analyze missing (apt-get install systemd)";
let unitCopy = "";

beforeAll(() => {
  ensureBuilt(["pvr-linux-x64"]);
  const dir = scratch("pvr-systemd-");
  unitCopy = join(dir, "pvr-agent.service");
  writeFileSync(unitCopy, UNIT.replace("ExecStart=/usr/bin/pvr ", `ExecStart=${dist("pvr-linux-x64")} `));
}, 120_000);
afterAll(cleanScratch);

/** Every `Key=value` line of the [Service] section, in order (repeated keys kept). */
function service(): [string, string][] {
  const body = UNIT.split("[Service]")[1]?.split("[Install]")[0] ?? "";
  return body.split("\n").filter((l) => /^[A-Za-z]+=/.test(l)).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]);
}
const get = (k: string) => service().filter(([key]) => key === k).map(([, v]) => v);

test.skipIf(!ANALYZE)(`systemd-analyze verify accepts the unit${ANALYZE ? "" : ` (skipped: ${NO_ANALYZE})`}`, () => {
  const r = Bun.spawnSync([ANALYZE as string, "verify", unitCopy], { stdout: "pipe", stderr: "pipe" });
  expect(r.stderr.toString()).toBe("");
  expect(r.exitCode).toBe(0);
});

test.skipIf(!ANALYZE)(`systemd-analyze security --offline rates it OK (exposure <= 2.0)${ANALYZE ? "" : ` (skipped: ${NO_ANALYZE})`}`, () => {
  const r = Bun.spawnSync([ANALYZE as string, "security", "--offline=true", "--no-pager", unitCopy], { stdout: "pipe", stderr: "pipe" });
  const m = /Overall exposure level for pvr-agent\.service: ([0-9.]+) (\w+)/.exec(r.stdout.toString());
  expect(m).not.toBeNull();
  console.log(`systemd-analyze security: pvr-agent.service exposure ${m?.[1]} ${m?.[2]}`);
  expect(Number(m?.[1])).toBeLessThanOrEqual(2.0);
});

test("hardening: no capabilities, own user, read-only system, JIT allowed, restart on failure", () => {
  expect(get("CapabilityBoundingSet")).toEqual([""]);
  expect(get("AmbientCapabilities")).toEqual([""]);
  expect(get("DynamicUser")).toEqual(["yes"]);
  expect(get("StateDirectory")).toEqual(["pvr-agent"]);
  for (const k of ["NoNewPrivileges", "ProtectHome", "PrivateTmp", "PrivateDevices", "RestrictSUIDSGID"]) expect(get(k)).toEqual(["yes"]);
  expect(get("ProtectSystem")).toEqual(["strict"]);
  expect(get("MemoryDenyWriteExecute")).toEqual([]); // Bun's JIT writes code pages
  expect(get("Restart")).toEqual(["on-failure"]);
  expect(get("EnvironmentFile")).toEqual(["-/etc/default/pvr-agent"]);
  // the storage and the database default to the state directory, the one writable place
  expect(get("Environment")).toContain("PVR_AGENT_STORAGE=/var/lib/pvr-agent/storage");
  expect(get("Environment")).toContain("PVR_AGENT_DB=/var/lib/pvr-agent/agent.db");
  expect(get("Environment").find((e) => e.startsWith("PVR_AGENT_LISTEN="))?.split(":").pop()).toBe("12368");
});

test("the example environment file sets only variables the unit reads, with the unit's defaults", () => {
  const execStart = get("ExecStart")[0] ?? "";
  const defaults = new Map(get("Environment").map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
  const vars = [...ENV.matchAll(/^#?(PVR_AGENT_[A-Z_]+)=(.*)$/gm)];
  expect(vars.length).toBe(defaults.size);
  for (const [, name, value] of vars) {
    expect(execStart).toMatch(new RegExp(`\\$\\{?${name}\\b`));
    if (name !== "PVR_AGENT_ARGS") expect(value).toBe(defaults.get(name as string) as string);
  }
});

test.skipIf(!HAVE_AGENT)(`ExecStart uses only flags that 'pvr agent' has${HAVE_AGENT ? "" : ` (skipped: ${NO_AGENT_REASON})`}`, () => {
  const help = ok(dist("pvr-linux-x64"), ["agent", "--help"]).stdout;
  const flags = [...(get("ExecStart")[0] ?? "").matchAll(/ (--[a-z-]+)/g)].map((m) => m[1] as string);
  expect(flags).toEqual(["--listen", "--storage", "--backend", "--db"]);
  for (const f of [...flags, "--token-file", "--read-only"]) expect(help).toContain(f);
});
