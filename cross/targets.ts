/**
 * The release targets of the single `pvr` executable and how one is built: `bun build --compile`
 * with --minify and --bytecode (the bytecode is JavaScriptCore's, the same for every target of
 * one Bun version; measured under qemu it halves arm64 start-up), the git commit embedded with
 * --define PVR_COMMIT, and the worker-thread entry point beside cli/main.ts. Never strip the
 * result: Bun keeps the bundle in the ELF section `.bun`, which strip/objcopy destroy.
 * x64 targets are Bun's "baseline" builds (Nehalem, no AVX2 needed): x86 device boards (Atom,
 * Celeron, Elkhart Lake) often lack AVX2, which the default x64 runtime requires.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";

export const ROOT = join(import.meta.dir, "..");
export const DIST = join(ROOT, "dist");

export interface Target {
  /** file name in dist/ (also the asset name the Yocto and Buildroot recipes download) */
  name: string;
  /** bun --target */
  bun: string;
  arch: "x64" | "arm64";
  libc: "glibc" | "musl";
  /** ELF interpreter the executable asks for */
  interpreter: string;
}

export const TARGETS: Target[] = [
  { name: "pvr-linux-x64", bun: "bun-linux-x64-baseline", arch: "x64", libc: "glibc", interpreter: "/lib64/ld-linux-x86-64.so.2" },
  { name: "pvr-linux-arm64", bun: "bun-linux-arm64", arch: "arm64", libc: "glibc", interpreter: "/lib/ld-linux-aarch64.so.1" },
  { name: "pvr-linux-x64-musl", bun: "bun-linux-x64-musl-baseline", arch: "x64", libc: "musl", interpreter: "/lib/ld-musl-x86_64.so.1" },
  { name: "pvr-linux-arm64-musl", bun: "bun-linux-arm64-musl", arch: "arm64", libc: "musl", interpreter: "/lib/ld-musl-aarch64.so.1" },
];

export function target(name: string): Target {
  const t = TARGETS.find((x) => x.name === name || x.bun === name);
  if (!t) throw new Error(`unknown target ${name}; known: ${TARGETS.map((x) => x.name).join(", ")}`);
  return t;
}

function git(args: string[]): { ok: boolean; out: string } {
  const r = Bun.spawnSync(["git", ...args], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  return { ok: r.exitCode === 0, out: r.stdout.toString().trim() };
}

/** The commit embedded in `pvr --version`: short HEAD, "-dirty" when sources differ from it. */
export function gitCommit(): string {
  const head = git(["rev-parse", "--short=12", "HEAD"]);
  if (!head.ok) return "unknown";
  const clean = git(["diff", "--quiet", "HEAD", "--", "cli", "agent", "package.json"]).ok;
  return clean ? head.out : `${head.out}-dirty`;
}

export function packageVersion(): string {
  return JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version;
}

/** What a build depends on: every source file, the lock file, the Bun version and the commit. */
export function sourceHash(commit = gitCommit()): string {
  const files = git(["ls-files", "-co", "--exclude-standard", "cli", "agent", "package.json", "package-lock.json"]).out.split("\n");
  const h = createHash("sha256").update(`${Bun.version}\0${commit}\0`);
  for (const f of files.filter(Boolean).sort()) {
    const p = join(ROOT, f);
    if (existsSync(p)) h.update(`${f}\0`).update(readFileSync(p));
  }
  return h.digest("hex");
}

/**
 * Builds one executable into `outfile`, written aside and renamed so readers never see half.
 * Bun embeds the output's file name, so the aside copy keeps the final name (in a private
 * directory): the same sources and commit then give the same bytes.
 */
export function buildOne(t: Target | undefined, outfile: string, commit = gitCommit()): void {
  const aside = join(dirname(outfile), `.build-${process.pid}`);
  mkdirSync(aside, { recursive: true });
  const tmp = join(aside, basename(outfile));
  // pvr must not read a .env or bunfig.toml from whatever directory it runs in: they would change
  // its environment (PVR_* settings) behind the user's back, and looking for them made Bun read
  // every directory from / down to the working directory at start-up (10 ms of `pvr status`)
  const noAutoload = ["--no-compile-autoload-dotenv", "--no-compile-autoload-bunfig"];
  const args = ["build", "--compile", "--minify", "--bytecode", ...noAutoload, "--define", `PVR_COMMIT=${JSON.stringify(commit)}`];
  if (t) args.push(`--target=${t.bun}`);
  args.push(join(ROOT, "cli/main.ts"), join(ROOT, "agent/objects/install-worker.ts"), join(ROOT, "agent/repo/statcheck-worker.ts"), join(ROOT, "agent/repo/tree-writer-worker.ts"), join(ROOT, "agent/fsutil/background-sync-worker.ts"), join(ROOT, "agent/remote/http/blob-worker.ts"), "--outfile", tmp);
  const r = Bun.spawnSync([process.execPath, ...args], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  try {
    if (r.exitCode !== 0) throw new Error(`bun build ${t?.bun ?? "(host)"} failed:\n${r.stderr.toString()}${r.stdout.toString()}`);
    renameSync(tmp, outfile);
  } finally {
    rmSync(aside, { recursive: true, force: true });
  }
}
