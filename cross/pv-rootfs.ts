/**
 * The root file system of the agent container: /usr/bin/pvr, its ELF interpreter and the shared
 * libraries it needs (found by following DT_NEEDED through a sysroot, e.g. Debian's
 * /usr/aarch64-linux-gnu for the glibc arm64 build, or an Alpine/Yocto musl sysroot that has
 * libstdc++ and libgcc_s for the musl builds), the mount points Pantavisor and lxc use, and a
 * reproducible squashfs of it (mksquashfs, root-owned, all times 0).
 */
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readlinkSync, writeFileSync } from "node:fs";
import { dirname, join, posix } from "node:path";

/** Directories every container root has (pvr app add makes the first seven) plus ours. */
const DIRS = ["proc", "sys", "dev", "tmp", "var/tmp", "run", "var/run", "storage", "pantavisor", "var/lib/pvr-agent", "root", "etc"];
const ETC: Record<string, string> = {
  "etc/passwd": "root:x:0:0:root:/root:/bin/sh\n",
  "etc/group": "root:x:0:\n",
  "etc/hosts": "127.0.0.1\tlocalhost\n::1\tlocalhost\n",
  "etc/resolv.conf": "",
};

/** Follows symlinks of `path` (absolute, as seen inside `sysroot`) within the sysroot. */
export function resolveIn(sysroot: string, path: string): string | undefined {
  let p = path;
  for (let hops = 0; hops < 40; hops++) {
    const host = join(sysroot, p);
    if (!existsSync(host)) return undefined;
    if (!lstatSync(host).isSymbolicLink()) return p;
    const target = readlinkSync(host);
    p = target.startsWith("/") ? target : posix.join(posix.dirname(p), target);
  }
  return undefined;
}

function readelf(file: string): { interpreter?: string; needed: string[] } {
  const r = Bun.spawnSync(["readelf", "-l", "-d", "-W", file], { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`readelf ${file}: ${r.stderr.toString()}`);
  const out = r.stdout.toString();
  return {
    interpreter: /\[Requesting program interpreter: (.+?)\]/.exec(out)?.[1],
    needed: [...out.matchAll(/\(NEEDED\)\s+Shared library: \[(.+?)\]/g)].map((m) => m[1] as string),
  };
}

function libDirs(sysroot: string): string[] {
  const dirs = ["/lib", "/usr/lib", "/lib64", "/usr/lib64"];
  for (const d of ["/lib", "/usr/lib"]) {
    try {
      for (const n of readdirSync(join(sysroot, d))) if (/-linux-/.test(n)) dirs.push(`${d}/${n}`);
    } catch {}
  }
  return dirs;
}

/**
 * Copies `exe` to <root>/usr/bin/pvr and, unless `sysroot` is undefined, its interpreter and
 * libraries (each at its path inside the sysroot). Returns the paths added inside the root.
 */
export function buildRootfs(root: string, exe: string, sysroot?: string): string[] {
  for (const d of DIRS) mkdirSync(join(root, d), { recursive: true, mode: 0o755 });
  chmodSync(join(root, "tmp"), 0o1777);
  for (const [p, text] of Object.entries(ETC)) writeFileSync(join(root, p), text, { mode: 0o644 });
  mkdirSync(join(root, "usr/bin"), { recursive: true });
  copyFileSync(exe, join(root, "usr/bin/pvr"));
  chmodSync(join(root, "usr/bin/pvr"), 0o755);
  const added = ["/usr/bin/pvr"];
  if (sysroot === undefined) return added;

  const install = (inside: string, as: string) => {
    const real = resolveIn(sysroot, inside);
    if (!real) throw new Error(`${inside} is missing from the sysroot ${sysroot}`);
    mkdirSync(join(root, dirname(as)), { recursive: true });
    copyFileSync(join(sysroot, real), join(root, as));
    chmodSync(join(root, as), 0o755);
    added.push(as);
  };
  const { interpreter, needed } = readelf(exe);
  if (interpreter) install(interpreter, interpreter);
  const dirs = libDirs(sysroot);
  const queue = [...needed];
  const seen = new Set<string>();
  while (queue.length) {
    const lib = queue.shift() as string;
    // the loader itself: musl's libc answers to libc.musl-<arch>.so.1, glibc's ld.so to its name
    if (seen.has(lib) || /^libc\.musl-/.test(lib) || (interpreter && posix.basename(interpreter) === lib)) continue;
    seen.add(lib);
    const dir = dirs.find((d) => resolveIn(sysroot, `${d}/${lib}`));
    if (!dir) throw new Error(`${lib} (needed by pvr) is not in ${sysroot} (searched ${dirs.join(", ")})`);
    install(`${dir}/${lib}`, `${dir}/${lib}`);
    queue.push(...readelf(join(root, dir, lib)).needed);
  }
  return added;
}

/** mksquashfs with pvr's default compression and reproducible metadata. */
export function mksquashfs(dir: string, out: string, comp = "xz"): string {
  const formatOptions = `-comp ${comp}`;
  const args = [dir, out, "-noappend", "-all-root", "-no-xattrs", "-mkfs-time", "0", "-all-time", "0", "-quiet", ...formatOptions.split(" ")];
  const r = Bun.spawnSync(["mksquashfs", ...args], { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`mksquashfs failed (install squashfs-tools): ${r.stderr.toString()}`);
  return formatOptions;
}
