/**
 * The agent as a Pantavisor container (cross/pv-container.ts): the export tarball's state, the
 * squashfs unpacked with unsquashfs (executable intact, root self-contained: it runs under
 * qemu with the unpacked tree as its only sysroot), run.json and lxc.container.conf against
 * device.md 1.10/4.5/8.5, and `pvr merge` of the tarball into a checkout of the fixture device
 * state (objects faked) followed by a checkout.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AGENT_ARGS, AGENT_CONFIG, APP_NAME } from "../cross/pv-app";
import { buildContainer } from "../cross/pv-container";
import { sha256File } from "../cross/release";
import { packageVersion } from "../cross/targets";
import { canonicalize } from "../agent/state/canonical";
import { type JsonObject, parseJson } from "../agent/state/json";
import { isInlineJson } from "../agent/state/model";
import { CAN_RUN_ARM64, dist, HAVE_AGENT, NO_AGENT_REASON, NO_ARM64_REASON, ok, scratch, cleanScratch } from "./emulation";
import { BUN, CLI, FIXTURES, newRepo, pvrOk, sha256 } from "./helpers";

const HAVE_SQUASHFS = Bun.which("mksquashfs") !== null && Bun.which("unsquashfs") !== null;
let work = "";
let tarball = "";
let state: Record<string, unknown> = {};
let commit = "";
const key = (k: string) => `${APP_NAME}/${k}`;

beforeAll(async () => {
  if (!HAVE_SQUASHFS) return;
  work = scratch("pvr-container-test-");
  tarball = join(work, "pvr-agent.pvrexport.tgz");
  commit = (await buildContainer({ out: tarball })).commit;
  const ex = join(work, "ex");
  mkdirSync(ex);
  ok("tar", ["-xzf", tarball, "-C", ex]);
  state = JSON.parse(readFileSync(join(ex, "json"), "utf8"));
  ok("unsquashfs", ["-no-xattrs", "-d", join(work, "rootfs"), join(ex, "objects", state[key("root.squashfs")] as string)]);
}, 300_000);
afterAll(cleanScratch);

test("without a musl sysroot the musl container is refused with what it needs", async () => {
  await expect(buildContainer({ target: "pvr-linux-x64-musl" })).rejects.toThrow(/musl-built libstdc\+\+\.so\.6 and libgcc_s\.so\.1/);
});

describe.skipIf(!HAVE_SQUASHFS)(`container ${APP_NAME}${HAVE_SQUASHFS ? "" : " (skipped: apt-get install squashfs-tools)"}`, () => {
  test("the export holds exactly the app's files", () => {
    expect(Object.keys(state).sort()).toEqual(["#spec", ...["lxc.container.conf", "root.squashfs", "root.squashfs.rootfs-digest", "run.json", "src.json"].map(key)]);
    expect(state["#spec"]).toBe("pantavisor-service-system@1");
  });

  test("the squashfs holds the arm64 executable byte for byte, its loader and libraries, and the mount points", async () => {
    const root = join(work, "rootfs");
    expect(await sha256File(join(root, "usr/bin/pvr"))).toBe(await sha256File(dist("pvr-linux-arm64")));
    expect(statSync(join(root, "usr/bin/pvr")).mode & 0o777).toBe(0o755);
    for (const f of ["lib/ld-linux-aarch64.so.1", "lib/libc.so.6", "lib/libm.so.6", "etc/passwd", "etc/resolv.conf"]) expect(statSync(join(root, f)).isFile()).toBe(true);
    for (const d of ["storage", "pantavisor", "var/lib/pvr-agent", "proc", "sys", "dev", "tmp", "run"]) expect(statSync(join(root, d)).isDirectory()).toBe(true);
  });

  test.skipIf(!CAN_RUN_ARM64)(`the unpacked root runs pvr with nothing from the host${CAN_RUN_ARM64 ? "" : ` (skipped: ${NO_ARM64_REASON})`}`, () => {
    const root = join(work, "rootfs");
    expect(ok(join(root, "usr/bin/pvr"), ["--version"], { sysroot: root }).stdout).toBe(`pvr version ${packageVersion()} (${commit})\n`);
  });

  test("run.json: a mgmt platform container with a permanent volume for the agent's data (device.md 4.5, 8.5)", () => {
    const run = state[key("run.json")] as Record<string, any>;
    expect(run["#spec"]).toBe("service-manifest-run@1");
    expect(run.name).toBe(APP_NAME);
    expect(run.type).toBe("lxc");
    expect(run.roles).toEqual(["mgmt"]);
    expect(run.group).toBe("platform");
    expect(["system", "container"]).toContain(run.restart_policy);
    expect(["MOUNTED", "STARTED", "READY"]).toContain(run.status_goal);
    expect(state[key(run.config)]).toBeDefined();
    expect(state[key(run["root-volume"])]).toBeDefined();
    expect(run.volumes).toEqual([]);
    expect(run.drivers).toEqual({ manual: [], optional: [], required: [] });
    expect(run.storage).toEqual({ "docker--var-lib-pvr-agent": { persistence: "permanent" }, "lxc-overlay": { persistence: "boot" } });
  });

  test("lxc.container.conf: host network, /storage read-write, the data volume, the agent command", () => {
    const conf = readFileSync(join(work, "ex/objects", state[key("lxc.container.conf")] as string), "utf8");
    expect(conf).toContain("lxc.namespace.keep = user  net  ipc\n"); // net kept: the host's network
    expect(conf).not.toContain("lxc.net.");
    expect(conf).toContain("lxc.mount.entry = /storage storage none bind,rw,create=dir 0 0\n");
    expect(conf).toContain(`lxc.rootfs.path = overlayfs:/volumes/${APP_NAME}/root.squashfs:/volumes/${APP_NAME}/lxc-overlay/upper\n`);
    expect(conf).toContain(`lxc.mount.entry = /volumes/${APP_NAME}/docker--var-lib-pvr-agent var/lib/pvr-agent none bind,rw,create=dir 0 0\n`);
    expect(conf).toContain("lxc.init.cmd = /usr/bin/pvr agent --listen 0.0.0.0:12368 --storage /storage --backend pantavisor --pv-ctrl /pantavisor/pv-ctrl ");
  });

  test("src.json records the template args, the config and the squashfs digest", () => {
    const src = state[key("src.json")] as Record<string, any>;
    expect(src.args).toEqual(AGENT_ARGS);
    expect(src.docker_config).toEqual(AGENT_CONFIG);
    expect(src.rootfs_digest).toBe(`sha256:${state[key("root.squashfs")]}`);
  });

  test("pvr merge adds the container to the fixture device state; checkout lays it out", () => {
    const fixture = parseJson(readFileSync(join(FIXTURES, "pantavisor/initial_state.json"), "utf8")) as JsonObject;
    const { dir: repo, objects } = newRepo();
    for (const [k, v] of Object.entries(fixture)) {
      if (k === "#spec" || isInlineJson(k, v)) continue;
      const content = `object for ${k}\n`;
      fixture[k] = sha256(content);
      writeFileSync(join(objects, sha256(content)), content);
    }
    writeFileSync(join(repo, ".pvr/json"), canonicalize(fixture));
    const device = JSON.parse(canonicalize(fixture));
    pvrOk(repo, ["merge", tarball]);
    const merged = JSON.parse(readFileSync(join(repo, ".pvr/json"), "utf8"));
    expect(merged).toEqual({ ...device, ...state });
    expect(device["device.json"].groups.map((g: { name: string }) => g.name)).toContain(AGENT_ARGS.PV_GROUP);
    pvrOk(repo, ["checkout"]);
    expect(sha256(readFileSync(join(repo, key("root.squashfs"))))).toBe(state[key("root.squashfs")] as string);
    expect(pvrOk(repo, ["status"]).stdout).toBe("");
    rmSync(join(repo, ".."), { recursive: true, force: true });
  }, 60_000);

  test.skipIf(!HAVE_AGENT)(`'pvr agent' takes every flag of the container's command${HAVE_AGENT ? "" : ` (skipped: ${NO_AGENT_REASON})`}`, () => {
    // the source CLI: this test must not depend on another test having built dist/
    const help = ok(BUN, [CLI, "agent", "--help"]).stdout;
    for (const f of AGENT_CONFIG.Entrypoint.filter((a) => a.startsWith("--"))) expect(help).toContain(f);
  });
});
