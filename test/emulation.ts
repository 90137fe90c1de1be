/**
 * Running the release executables in tests: arm64 ones under qemu-user (Debian packages
 * qemu-user-static + libc6-arm64-cross + libstdc++6-arm64-cross, installed by .ci/run), host
 * ones directly, and a probe for the agent command, so tests that need it say why they skip
 * where it is missing.
 */
import { closeSync, existsSync, mkdtempSync, openSync, readSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DIST, ROOT } from "../cross/targets";

export const QEMU = Bun.which("qemu-aarch64-static") ?? Bun.which("qemu-aarch64");
export const ARM64_SYSROOT = "/usr/aarch64-linux-gnu";
export const CAN_RUN_ARM64 = QEMU !== null && existsSync(join(ARM64_SYSROOT, "lib/ld-linux-aarch64.so.1"));
export const NO_ARM64_REASON = "qemu-aarch64-static or /usr/aarch64-linux-gnu missing (apt-get install qemu-user-static libc6-arm64-cross libstdc++6-arm64-cross)";

/** True for an AArch64 ELF file (e_machine 183). */
export function isArm64(exe: string): boolean {
  try {
    const fd = openSync(exe, "r");
    const head = Buffer.alloc(20);
    readSync(fd, head, 0, 20, 0);
    closeSync(fd);
    return head.readUInt32BE(0) === 0x7f454c46 && head.readUInt16LE(18) === 183;
  } catch {
    return false;
  }
}

/** The argv that runs `exe` on this machine: through qemu (with `sysroot` as -L) for arm64. */
export function command(exe: string, args: string[], sysroot = ARM64_SYSROOT): string[] {
  if (isArm64(exe)) return [QEMU as string, "-L", sysroot, exe, ...args];
  return [exe, ...args];
}

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(exe: string, args: string[], opts: { cwd?: string; env?: Record<string, string>; sysroot?: string } = {}): Ran {
  const r = Bun.spawnSync(command(exe, args, opts.sysroot), {
    cwd: opts.cwd,
    env: { ...process.env, NO_COLOR: "1", ...opts.env },
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: r.exitCode ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

export function ok(exe: string, args: string[], opts: Parameters<typeof run>[2] = {}): Ran {
  const r = run(exe, args, opts);
  if (r.code !== 0) throw new Error(`${exe.split("/").pop()} ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  return r;
}

export const dist = (name: string) => join(DIST, name);

const scratchDirs: string[] = [];
/** A temp dir for cleanScratch() to remove (these tests copy ~100 MB executables around). */
export function scratch(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  scratchDirs.push(d);
  return d;
}
/** Removes every scratch dir made so far: `afterAll(cleanScratch)` in each test file. */
export function cleanScratch(): void {
  for (const d of scratchDirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** `pvr agent` exists (cli/commands/agent.ts, being written by the agent engineers). */
export const HAVE_AGENT = existsSync(join(ROOT, "cli/commands/agent.ts"));
export const NO_AGENT_REASON = "cli/commands/agent.ts does not exist yet (the device agent is another engineer's task)";

/** A free TCP port on 127.0.0.1. */
export function freePort(): number {
  const s = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = s.port as number;
  s.stop(true);
  return port;
}

/** Polls `url` until it answers (any HTTP status) or `ms` pass. */
export async function waitForHttp(url: string, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      await fetch(url, { signal: AbortSignal.timeout(1000) });
      return true;
    } catch {
      await Bun.sleep(200);
    }
  }
  return false;
}

/** The release targets as the packaging recipes name them: [OE/Buildroot arch, libc, executable]. */
export const MACHINES = [
  ["x86_64", "glibc", "pvr-linux-x64"],
  ["aarch64", "glibc", "pvr-linux-arm64"],
  ["x86_64", "musl", "pvr-linux-x64-musl"],
  ["aarch64", "musl", "pvr-linux-arm64-musl"],
] as const;
