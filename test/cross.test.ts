/**
 * The release executables (cross/): built once per test run and reused from dist/ while the
 * sources are unchanged. Checks each ELF (architecture, interpreter, libraries, the unstripped
 * `.bun` section), runs the arm64 build under qemu-user against the host build (same version,
 * same .pvr/json and objects, worker threads included), an arm64 agent against a host post
 * and clone, and what the x64 musl build needs from a target (Debian: musl, no musl libstdc++).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensureBuilt, sha256File } from "../cross/release";
import { buildOne, packageVersion, TARGETS, target } from "../cross/targets";
import { CAN_RUN_ARM64, dist, freePort, HAVE_AGENT, NO_AGENT_REASON, NO_ARM64_REASON, ok, run, command, waitForHttp, scratch, cleanScratch } from "./emulation";

let commit = "";
beforeAll(() => {
  commit = ensureBuilt().commit;
}, 300_000);
afterAll(cleanScratch);

const HOST = dist("pvr-linux-x64");
const ARM = dist("pvr-linux-arm64");

describe("every release target", () => {
  for (const t of TARGETS) {
    test(`${t.name}: ${t.arch}/${t.libc} ELF, interpreter, libraries, .bun section kept`, () => {
      const r = Bun.spawnSync(["readelf", "-h", "-l", "-d", "-S", "-W", dist(t.name)], { stdout: "pipe" });
      const out = r.stdout.toString();
      expect(out).toContain(t.arch === "x64" ? "Advanced Micro Devices X86-64" : "AArch64");
      expect(out).toContain(`[Requesting program interpreter: ${t.interpreter}]`);
      const needed = [...out.matchAll(/\(NEEDED\)\s+Shared library: \[(.+?)\]/g)].map((m) => m[1]).sort();
      const muslArch = t.arch === "x64" ? "x86_64" : "aarch64";
      // glibc: the C library only; musl: the C library plus a musl-built libstdc++ (and its libgcc_s)
      if (t.libc === "musl") expect(needed).toEqual([`libc.musl-${muslArch}.so.1`, "libstdc++.so.6"]);
      else expect(needed).toEqual([t.interpreter.split("/").pop(), "libc.so.6", "libdl.so.2", "libm.so.6", "libpthread.so.0"].sort() as string[]);
      expect(out).toMatch(/\] \.bun\s+PROGBITS/);
    });
  }
});

test("builds are reproducible: rebuilding linux-arm64 gives dist/'s bytes", async () => {
  const again = join(scratch("pvr-rebuild-"), "pvr-linux-arm64");
  buildOne(target("pvr-linux-arm64"), again, commit);
  expect(await sha256File(again)).toBe(await sha256File(ARM));
}, 120_000);

test("the host build ignores a .env and a bunfig.toml in the directory it runs in", () => {
  const dir = scratch("pvr-autoload-");
  writeFileSync(join(dir, ".env"), "PVR_AGENT_LISTEN=10.9.9.9:1\n");
  writeFileSync(join(dir, "bunfig.toml"), 'preload = ["./nope.ts"]\n');
  const r = run(HOST, ["agent", "--print-config"], { cwd: dir });
  expect(r.code).toBe(0);
  expect(JSON.parse(r.stdout).listen).not.toMatchObject({ host: "10.9.9.9" });
});

// The worker threads must come from the executable itself: import.meta.url there still names
// the build machine's files. Hide the source tree (a mount namespace) and use every worker.
const CAN_HIDE_SOURCE = Bun.spawnSync(["unshare", "-m", "true"]).exitCode === 0;
test.skipIf(!CAN_HIDE_SOURCE)("the host build's worker threads run with the source tree out of sight", () => {
  const dir = scratch("pvr-noroot-");
  const exe = join(dir, "pvr");
  copyFileSync(HOST, exe);
  chmodSync(exe, 0o755);
  const repo = join(dir, "repo");
  mkdirSync(join(repo, "d"), { recursive: true });
  for (let i = 0; i < 2; i++) writeFileSync(join(repo, `big${i}.bin`), Buffer.alloc(40 << 20, i + 1)); // parallel hashing threads
  for (let i = 0; i < 2100; i++) writeFileSync(join(repo, "d", `f${i}`), `${i}`); // the status stat worker
  const script = [
    `mount -t tmpfs none '${join(import.meta.dir, "..")}'`,
    `cd '${repo}'`,
    `'${exe}' init >/dev/null`,
    `'${exe}' add . >/dev/null`,
    `'${exe}' commit -m w >/dev/null`,
    `sleep 2.2`, // past the stat cache's racy window, so status takes the worker path
    `'${exe}' status`,
  ].join(" && ");
  const r = Bun.spawnSync(["unshare", "-m", "sh", "-c", script], { env: { ...process.env, PVR_CONFIG_DIR: join(dir, "cfg") }, stdout: "pipe", stderr: "pipe" });
  expect(r.stderr.toString()).not.toMatch(/ERROR|ModuleNotFound/);
  expect([r.exitCode, r.stdout.toString()]).toEqual([0, ""]);
  expect(readdirSync(join(dir, "cfg", "objects")).filter((n) => /^[0-9a-f]{64}$/.test(n)).length).toBe(2 + 2100);
}, 60_000);

test("the host build prints the package version and the embedded commit", () => {
  expect(commit).toMatch(/^([0-9a-f]{12}(-dirty)?|unknown)$/);
  expect(ok(HOST, ["--version"]).stdout).toBe(`pvr version ${packageVersion()} (${commit})\n`);
});

describe.skipIf(!CAN_RUN_ARM64)(`linux-arm64 under qemu-user${CAN_RUN_ARM64 ? "" : ` (skipped: ${NO_ARM64_REASON})`}`, () => {
  test("--version shows the same version and commit as the host build", () => {
    expect(ok(ARM, ["--version"]).stdout).toBe(`pvr version ${packageVersion()} (${commit})\n`);
  });

  test("init, add (worker threads) and commit give the host build's .pvr/json bytes and objects", () => {
    const files: Record<string, string | Uint8Array> = {
      "bsp/run.json": '{"linux":"kernel.img","initrd":"pantavisor","fdt":"board.dtb"}',
      "bsp/kernel.img": "kernel bytes\n",
      "app/run.json": '{"#spec":"service-manifest-run@1","name":"app","n":12345678901234567890,"x":null}',
      "app/etc/conf": "a=1\n",
      "device.json": '{"groups":[{"name":"root"}]}',
      // two files of 33 MiB: over the 64 MiB threshold, so add hashes them in worker threads
      "data/big1.bin": new Uint8Array(33 << 20).fill(7),
      "data/big2.bin": new Uint8Array(33 << 20).fill(9),
    };
    const results = [HOST, ARM].map((exe) => {
      const base = scratch("pvr-cross-");
      const repo = join(base, "repo");
      mkdirSync(repo);
      const env = { PVR_CONFIG_DIR: join(base, "cfg") };
      ok(exe, ["init"], { cwd: repo, env });
      for (const [p, c] of Object.entries(files)) {
        mkdirSync(join(repo, p, ".."), { recursive: true });
        writeFileSync(join(repo, p), c);
      }
      ok(exe, ["add", "."], { cwd: repo, env });
      ok(exe, ["commit", "-m", "cross"], { cwd: repo, env });
      expect(ok(exe, ["status"], { cwd: repo, env }).stdout).toBe("");
      const objects = join(base, "cfg", "objects");
      return { json: readFileSync(join(repo, ".pvr/json")), objects: readdirSync(objects).filter((n) => /^[0-9a-f]{64}$/.test(n)).sort() };
    });
    expect(results[1]?.json.equals(results[0]?.json as Buffer)).toBe(true);
    expect(results[1]?.objects).toEqual(results[0]?.objects as string[]);
    expect(results[0]?.objects.length).toBe(4);
  }, 120_000);
});

const agentSkip = !CAN_RUN_ARM64 ? NO_ARM64_REASON : !HAVE_AGENT ? NO_AGENT_REASON : "";
test.skipIf(agentSkip !== "")(`an arm64 'pvr agent' takes a host 'pvr post' and serves it back to 'pvr clone' over loopback${agentSkip ? ` (skipped: ${agentSkip})` : ""}`, async () => {
  const base = scratch("pvr-cross-agent-");
  const src = join(base, "src");
  mkdirSync(src);
  const env = { PVR_CONFIG_DIR: join(base, "cfg") };
  ok(HOST, ["init"], { cwd: src, env });
  writeFileSync(join(src, "app.txt"), "served by an emulated arm64 agent\n");
  writeFileSync(join(src, "blob.bin"), new Uint8Array(3 << 20).fill(5));
  writeFileSync(join(src, "device.json"), '{"groups":[]}');
  ok(HOST, ["add", "."], { cwd: src, env });
  ok(HOST, ["commit"], { cwd: src, env });

  const port = freePort();
  const args = ["agent", "--listen", `127.0.0.1:${port}`, "--storage", join(base, "storage"), "--backend", "standalone"];
  const agent = Bun.spawn(command(ARM, args), { stdout: "pipe", stderr: "pipe", env: { ...process.env, ...env } });
  try {
    const url = `http://127.0.0.1:${port}/cgi-bin/pvr`;
    if (!(await waitForHttp(url, 30_000))) throw new Error(`agent did not answer: ${await new Response(agent.stderr).text()}`);
    ok(HOST, ["post", "--wait", "-m", "from the host", url], { cwd: src, env });
    const clone = join(base, "clone");
    ok(HOST, ["clone", url, clone], { cwd: base, env });
    expect(readFileSync(join(clone, ".pvr/json"), "utf8")).toBe(readFileSync(join(src, ".pvr/json"), "utf8"));
    for (const f of ["app.txt", "blob.bin"]) expect(readFileSync(join(clone, f)).equals(readFileSync(join(src, f)))).toBe(true);
    expect(JSON.parse(readFileSync(join(clone, "device.json"), "utf8"))).toEqual({ groups: [] });
  } finally {
    agent.kill();
    await agent.exited;
  }
}, 120_000);

test("linux-x64-musl: Debian's musl loader resolves libc; the target must add a musl libstdc++ and libgcc_s", () => {
  const loader = "/lib/ld-musl-x86_64.so.1";
  if (!existsSync(loader)) return console.warn(`skipped: ${loader} missing (apt-get install musl)`);
  const libdir = process.env.PVR_MUSL_LIBDIR; // a directory with musl-built libstdc++.so.6 + libgcc_s.so.1
  const r = run(dist("pvr-linux-x64-musl"), ["--version"], { env: libdir ? { LD_LIBRARY_PATH: libdir } : {} });
  if (libdir) return expect(r.stdout).toBe(`pvr version ${packageVersion()} (${commit})\n`);
  expect(r.code).toBe(127);
  expect(r.stderr).toContain("libstdc++.so.6");
  expect(r.stderr).not.toContain("libc.musl");
});
