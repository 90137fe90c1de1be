/**
 * `npm run measure [-- --no-xz]`: for each release executable, its size, its `xz -9` size (what
 * a compressed download or an xz squashfs costs), the cold and warm start of `pvr --version`
 * (cold = the file dropped from the page cache first with dd iflag=nocache; arm64 under
 * qemu-user, so emulated), and the idle RSS of `pvr agent` once it answers. Prints a markdown
 * table for the README. Executables that cannot run here say why.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureBuilt } from "./release";
import { DIST, ROOT, type Target, TARGETS } from "./targets";

const QEMU = Bun.which("qemu-aarch64-static");
const SYSROOT = "/usr/aarch64-linux-gnu";
const HAVE_AGENT = existsSync(join(ROOT, "cli/commands/agent.ts"));
const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

function argv(t: Target, args: string[]): string[] | string {
  if (t.libc === "musl") return process.env.PVR_MUSL_LIBDIR ? [join(DIST, t.name), ...args] : "n/a: needs a musl libstdc++ (none in Debian)";
  if (t.arch === process.arch) return [join(DIST, t.name), ...args];
  if (t.arch === "arm64" && QEMU && existsSync(SYSROOT)) return [QEMU, "-L", SYSROOT, join(DIST, t.name), ...args];
  return "n/a: cannot run here";
}
const env = () => ({ ...process.env, LD_LIBRARY_PATH: process.env.PVR_MUSL_LIBDIR ?? "" });

async function xzSize(file: string): Promise<number> {
  const p = Bun.spawn(["xz", "-9", "-T0", "-c", file], { stdout: "pipe" });
  let n = 0;
  for await (const chunk of p.stdout) n += chunk.length;
  if ((await p.exited) !== 0) throw new Error(`xz failed on ${file}`);
  return n;
}

function startTimes(t: Target): string {
  const cmd = argv(t, ["--version"]);
  if (typeof cmd === "string") return `${cmd} | `;
  const once = () => {
    const s = performance.now();
    const r = Bun.spawnSync(cmd, { stdout: "pipe", env: env() });
    if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")} failed`);
    return performance.now() - s;
  };
  Bun.spawnSync(["dd", `if=${join(DIST, t.name)}`, "iflag=nocache", "count=0", "status=none"]);
  const cold = once();
  const warm = Array.from({ length: 5 }, once).sort((a, b) => a - b)[2] as number;
  const note = cmd[0] === QEMU ? " (qemu)" : "";
  return `${cold.toFixed(0)} ms${note} | ${warm.toFixed(0)} ms${note}`;
}

async function idleRss(t: Target): Promise<string> {
  if (!HAVE_AGENT) return "n/a: no `pvr agent` yet";
  const storage = mkdtempSync(join(tmpdir(), "pvr-measure-"));
  const s = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = s.port;
  s.stop(true);
  const cmd = argv(t, ["agent", "--listen", `127.0.0.1:${port}`, "--storage", join(storage, "storage"), "--backend", "standalone"]);
  if (typeof cmd === "string") return cmd;
  const p = Bun.spawn(cmd, { stdout: "ignore", stderr: "ignore", env: env() });
  try {
    for (let i = 0; i < 150; i++) {
      if (await fetch(`http://127.0.0.1:${port}/cgi-bin/pvr`).then(() => true, () => false)) break;
      await Bun.sleep(200);
    }
    await Bun.sleep(3000);
    const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p.pid}/status`, "utf8"))?.[1]);
    return `${(kb / 1024).toFixed(0)} MB${cmd[0] === QEMU ? " (qemu process)" : ""}`;
  } catch (err) {
    return `n/a: ${(err as Error).message}`;
  } finally {
    p.kill();
    await p.exited;
    rmSync(storage, { recursive: true, force: true });
  }
}

const noXz = process.argv.includes("--no-xz");
const { commit } = ensureBuilt(undefined, { log: (s) => console.error(s) });
console.error(noXz ? "measuring…" : "measuring (xz -9 of four ~100 MB files: about 15 minutes on 2 cores)…");
const runs: string[] = [];
for (const t of TARGETS) runs.push(`${startTimes(t)} | ${await idleRss(t)}`); // before xz loads the CPUs
const xz = noXz ? TARGETS.map(() => 0) : await Promise.all(TARGETS.map((t) => xzSize(join(DIST, t.name))));
const rows = TARGETS.map((t, i) => {
  const size = statSync(join(DIST, t.name)).size;
  const x = xz[i] as number;
  return `| ${t.name} | ${mb(size)} | ${noXz ? "-" : `${mb(x)} (${((100 * x) / size).toFixed(0)} %)`} | ${runs[i]} |`;
});
console.log(`pvr ${commit}, Bun ${Bun.version}, ${process.arch} host\n`);
console.log("| executable | size | xz -9 | `--version` cold | `--version` warm (median of 5) | agent idle RSS |");
console.log("|---|---|---|---|---|---|");
console.log(rows.join("\n"));
