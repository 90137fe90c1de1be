/**
 * The release build: the four executables in dist/ (pvr-linux-{x64,arm64}[-musl]), each rebuilt
 * only when its source hash changed (dist/.stamp-<name>), then dist/SHA256SUMS and the checksum
 * files the Yocto recipe and the Buildroot package read (cross/packaging-sums.ts).
 * Tests call ensureBuilt() for the targets they need, so one test run builds each at most once;
 * a rebuild removes the checksum files, which release() writes again.
 */
import { createReadStream, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BR_HASH, writePackagingSums, YOCTO_SUMS } from "./packaging-sums";
import { buildOne, DIST, gitCommit, packageVersion, sourceHash, type Target, TARGETS, target } from "./targets";

export interface BuildReport {
  commit: string;
  built: string[];
  reused: string[];
}

const stampPath = (t: Target) => join(DIST, `.stamp-${t.name}`);

/** Builds the named targets unless dist/ already holds them for the current sources. */
export function ensureBuilt(names: string[] = TARGETS.map((t) => t.name), opts: { force?: boolean; log?: (s: string) => void } = {}): BuildReport {
  const commit = gitCommit();
  const hash = sourceHash(commit);
  const report: BuildReport = { commit, built: [], reused: [] };
  for (const t of names.map(target)) {
    const out = join(DIST, t.name);
    const stamp = stampPath(t);
    const want = `${hash} ${t.bun}`;
    if (!opts.force && existsSync(out) && existsSync(stamp) && readFileSync(stamp, "utf8") === want) {
      report.reused.push(t.name);
      continue;
    }
    const start = performance.now();
    buildOne(t, out, commit);
    writeFileSync(stamp, want);
    opts.log?.(`built dist/${t.name} (${t.bun}) in ${((performance.now() - start) / 1000).toFixed(1)} s`);
    report.built.push(t.name);
  }
  // checksums of the old executables would now lie: release() writes them again
  if (report.built.length) for (const p of [join(DIST, "SHA256SUMS"), YOCTO_SUMS, BR_HASH]) rmSync(p, { force: true });
  return report;
}

export async function sha256File(path: string): Promise<string> {
  const h = new Bun.CryptoHasher("sha256");
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return h.digest("hex");
}

/** Parses `sha256sum` output ("<hex>  <name>" lines) into name → sha256. */
export function parseSums(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split("\n")) {
    const r = /^([0-9a-f]{64}) [ *](.+)$/.exec(line.trim());
    if (r) m.set(r[2] as string, r[1] as string);
  }
  return m;
}

/** All four targets, dist/SHA256SUMS (sha256sum -c compatible) and the packaging checksum files. */
export async function release(opts: { force?: boolean; log?: (s: string) => void } = {}): Promise<BuildReport & { sums: Map<string, string> }> {
  const report = ensureBuilt(undefined, opts);
  const sums = new Map<string, string>();
  for (const t of TARGETS) sums.set(t.name, await sha256File(join(DIST, t.name)));
  writeFileSync(join(DIST, "SHA256SUMS"), [...sums].map(([n, s]) => `${s}  ${n}\n`).join(""));
  for (const p of writePackagingSums(sums, packageVersion(), report.commit)) opts.log?.(`wrote ${p}`);
  return { ...report, sums };
}
