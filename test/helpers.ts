/**
 * Test helpers: throw-away directories, the real CLI as a child process, trees built from
 * inline `{ path: content }` maps, and snapshots of a tree to assert "nothing changed".
 */
import { createHash } from "node:crypto";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { tmpdir as osTmp } from "node:os";
import { dirname, join } from "node:path";

export const ROOT = join(import.meta.dir, "..");
export const CLI = join(ROOT, "cli", "main.ts");
export const BUN = process.execPath;
/** python3 for the tests that drive Python tools (Debian's first, else the one on PATH). */
export const PYTHON = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : (Bun.which("python3") ?? "python3");
export const FIXTURES = join(ROOT, "..", "shared", "fixtures");

export function tmpdir(prefix = "pvr-test-"): string {
  return mkdtempSync(join(osTmp(), prefix));
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `pvr args...` in `cwd` as a real process. PVR_CONFIG_DIR defaults to `<cwd>/../.pvrcfg`. */
export function runPvr(cwd: string, args: string[], env: Record<string, string> = {}): RunResult {
  const r = Bun.spawnSync([BUN, CLI, ...args], {
    cwd,
    env: { ...process.env, PVR_CONFIG_DIR: join(dirname(cwd), ".pvrcfg"), NO_COLOR: "1", ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: r.exitCode ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

/** Like runPvr but fails the test with the command's stderr when it exits non-zero. */
export function pvrOk(cwd: string, args: string[], env: Record<string, string> = {}): RunResult {
  const r = runPvr(cwd, args, env);
  if (r.code !== 0) throw new Error(`pvr ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  return r;
}

export function writeTree(dir: string, files: Record<string, string | Uint8Array>): void {
  for (const [p, content] of Object.entries(files)) {
    const full = join(dir, p);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
  }
}

export function sha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Every entry under `dir`: files by sha256 of content, dirs as "dir", symlinks by target. */
export function snapshotTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    let names: string[];
    try {
      names = readdirSync(d).sort();
    } catch {
      return;
    }
    for (const n of names) {
      const full = join(d, n);
      const r = rel ? `${rel}/${n}` : n;
      const st = lstatSync(full);
      if (st.isSymbolicLink()) out[r] = `link:${readlinkSync(full)}`;
      else if (st.isDirectory()) {
        out[r] = "dir";
        walk(full, r);
      } else out[r] = sha256(readFileSync(full));
    }
  };
  walk(dir, "");
  return out;
}

/** A fresh checkout dir `<tmp>/repo` with its own config dir `<tmp>/.pvrcfg`, initialised. */
export function newRepo(files: Record<string, string | Uint8Array> = {}): { dir: string; objects: string } {
  const base = tmpdir();
  const dir = join(base, "repo");
  mkdirSync(dir);
  pvrOk(dir, ["init"]);
  writeTree(dir, files);
  return { dir, objects: join(base, ".pvrcfg", "objects") };
}

/** Whether this machine has an IPv6 loopback to serve on (tests that need it skip otherwise). */
export function haveIPv6(): boolean {
  try {
    Bun.serve({ hostname: "::1", port: 0, fetch: () => new Response() }).stop(true);
    return true;
  } catch {
    return false;
  }
}
