/**
 * `npm run pv-container -- [--target pvr-linux-arm64] [--sysroot DIR | --no-libs] [--comp xz]
 * [--out FILE]`: the agent as a Pantavisor container, exported as a pvr tarball that
 * `pvr merge` (or `pvr post`, pvtx, `pvcontrol steps install`) adds to a device state.
 * The app `pvr-agent/` holds root.squashfs (cross/pv-rootfs.ts), run.json, lxc.container.conf
 * and src.json (cross/pv-app.ts); the checkout is made and exported by our own CLI.
 * Default output: dist/pvr-agent-<linux-arch[-musl]>.pvrexport.tgz.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { APP_NAME, lxcConf, runJson, srcJson } from "./pv-app";
import { buildRootfs, mksquashfs } from "./pv-rootfs";
import { ensureBuilt, sha256File } from "./release";
import { DIST, ROOT, type Target, target } from "./targets";

export interface ContainerOptions {
  target?: string;
  /** where the interpreter and libraries come from; null: copy none (the image supplies them) */
  sysroot?: string | null;
  comp?: string;
  out?: string;
}

export function defaultSysroot(t: Target): string {
  if (t.libc === "glibc" && t.arch === "arm64" && existsSync("/usr/aarch64-linux-gnu/lib")) return "/usr/aarch64-linux-gnu";
  if (t.libc === "glibc" && t.arch === "x64" && process.arch === "x64") return "/";
  throw new Error(
    `${t.name} needs a sysroot with its loader (${t.interpreter})${t.libc === "musl" ? ", a musl-built libstdc++.so.6 and libgcc_s.so.1 (e.g. an Alpine or Yocto musl rootfs; Debian has no musl libstdc++)" : " and glibc"}: pass --sysroot DIR, or --no-libs when the image supplies them`,
  );
}

function pvr(cwd: string, args: string[], env: Record<string, string>): void {
  const r = Bun.spawnSync([process.execPath, join(ROOT, "cli/main.ts"), ...args], { cwd, env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`pvr ${args.join(" ")} failed: ${r.stderr.toString()}`);
}

export async function buildContainer(opts: ContainerOptions = {}) {
  const t = target(opts.target ?? "pvr-linux-arm64");
  const sysroot = opts.sysroot === null ? undefined : (opts.sysroot ?? defaultSysroot(t));
  const out = resolve(opts.out ?? join(DIST, `${APP_NAME}-${t.name.replace(/^pvr-/, "")}.pvrexport.tgz`));
  const { commit } = ensureBuilt([t.name]);
  const work = mkdtempSync(join(tmpdir(), "pvr-container-"));
  try {
    const files = buildRootfs(join(work, "rootfs"), join(DIST, t.name), sysroot);
    const repo = join(work, "repo");
    const app = join(repo, APP_NAME);
    mkdirSync(app, { recursive: true });
    const formatOptions = mksquashfs(join(work, "rootfs"), join(app, "root.squashfs"), opts.comp);
    const squashSha = await sha256File(join(app, "root.squashfs"));
    writeFileSync(join(app, "run.json"), JSON.stringify(runJson(), null, "\t"));
    writeFileSync(join(app, "lxc.container.conf"), lxcConf());
    writeFileSync(join(app, "src.json"), JSON.stringify(srcJson({ from: t.name, squashSha, formatOptions }), null, " "));
    writeFileSync(join(app, "root.squashfs.rootfs-digest"), `sha256:${squashSha}`);
    const env = { PVR_CONFIG_DIR: join(work, "cfg") };
    pvr(repo, ["init", "--objects", join(work, "objects")], env);
    pvr(repo, ["add", "."], env);
    pvr(repo, ["commit", "-m", `${APP_NAME} ${t.name} ${commit}`], env);
    mkdirSync(join(out, ".."), { recursive: true });
    pvr(repo, ["export", out], env);
    return { out, target: t, commit, squashSha, files };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: { target: { type: "string" }, sysroot: { type: "string" }, "no-libs": { type: "boolean" }, comp: { type: "string" }, out: { type: "string" } },
  });
  try {
    const r = await buildContainer({ target: values.target, sysroot: values["no-libs"] ? null : values.sysroot, comp: values.comp, out: values.out });
    console.log(`${r.out}: container ${APP_NAME} (${r.target.name}, ${r.commit}), root.squashfs sha256 ${r.squashSha}`);
    console.log(`  rootfs: ${r.files.join(" ")}`);
    console.log(`  add it to a device checkout: pvr merge ${r.out} && pvr checkout`);
  } catch (err) {
    console.error(`ERROR: ${(err as Error).message}`);
    process.exit(1);
  }
}
