/**
 * Issue 3 benchmark: deploy of a 10,000-object revision, side by side with `cp -al` and
 * `ostree checkout -H` of the same tree (every tool produces 10,000 hard links in 100
 * directories), and export/import of 1 GiB in 8 files side by side with `tar -cf`/`tar -xf` of
 * the same files. pvr fsyncs what it writes, so the tar rows are also given with an fsync of
 * their output (`sync FILE…` fsyncs exactly those files), and `openssl dgst -sha256` of the
 * same bytes is the floor every verifying tool pays. Target: deploy within 1.5x of `cp -al`.
 */
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { have, PVR, type Row, sh, table, timeit, writeFiles } from "./lib";

const RUNS = Number(process.env.BENCH_RUNS ?? 3);

/** A fresh checkout of `files` (hard-linked) committed into the store of config dir `cfg`. */
function committedCheckout(files: string, checkout: string, cfg: string): void {
  rmSync(checkout, { recursive: true, force: true });
  rmSync(cfg, { recursive: true, force: true });
  sh(`cp -al ${files} ${checkout}`);
  sh(`${PVR} init && ${PVR} add . && ${PVR} commit -m bench`, checkout, { PVR_CONFIG_DIR: cfg });
}

function deployRows(dir: string): string {
  const files = join(dir, "files"); // the tree alone, no .pvr: what cp -al and ostree copy
  const checkout = join(dir, "checkout");
  const cfg = join(dir, "cfg");
  const out = join(dir, "out");
  if (!existsSync(files)) writeFiles(files, 10_000, (i) => 512 + ((i * 7919) % 7680));
  committedCheckout(files, checkout, cfg);
  const fresh = () => {
    rmSync(out, { recursive: true, force: true });
    sh("sync"); // the previous run's writeback must not land in this run's time
  };
  // one untimed deploy first: it makes the store's objects 0444, as every later deploy finds them
  fresh();
  sh(`${PVR} deploy ${out}`, checkout, { PVR_CONFIG_DIR: cfg });
  sh(`test "$(find ${out} -type f -links +1 -not -path '*/.pvr/*' | wc -l)" = 10000`);
  const ours: Row = { name: "pvr deploy", seconds: timeit(RUNS, () => sh(`${PVR} deploy ${out} >/dev/null 2>&1`, checkout, { PVR_CONFIG_DIR: cfg }), fresh) };
  const peers: Row[] = [{ name: "cp -al", seconds: timeit(RUNS, () => sh(`cp -al ${files} ${out}`), fresh) }];
  if (have("ostree")) {
    const repo = join(dir, "ostree");
    rmSync(repo, { recursive: true, force: true });
    sh(`ostree --repo=${repo} init --mode=bare && ostree --repo=${repo} commit --branch=b --tree=dir=${files} >/dev/null`);
    peers.push({ name: "ostree checkout -H (bare)", seconds: timeit(RUNS, () => sh(`ostree --repo=${repo} checkout -H b ${out}`), fresh) });
    rmSync(repo, { recursive: true, force: true });
  } else peers.push({ name: "ostree checkout -H", seconds: null, note: "ostree not installed" });
  fresh();
  return table("deploy of a 10,000-object revision (target: pvr within 1.5x of cp -al)", ours, peers);
}

function transferRows(dir: string): string[] {
  const files = join(dir, "bigfiles");
  const checkout = join(dir, "bigcheckout");
  const cfg = join(dir, "bigcfg");
  const tarball = join(dir, "export.tar");
  const importer = join(dir, "import");
  const importCfg = join(dir, "importcfg");
  const extracted = join(dir, "extract");
  mkdirSync(files, { recursive: true });
  for (let i = 0; i < 8; i++) {
    const f = join(files, `part${i}.bin`);
    if (!existsSync(f)) sh(`head -c ${128 << 20} /dev/urandom > ${f}`);
  }
  committedCheckout(files, checkout, cfg);
  const parts = Array.from({ length: 8 }, (_, i) => `part${i}.bin`).join(" ");
  const noTarball = () => {
    rmSync(tarball, { force: true });
    sh("sync");
  };
  const env = { PVR_CONFIG_DIR: cfg };
  const exportOurs: Row = { name: "pvr export", seconds: timeit(RUNS, () => sh(`${PVR} export ${tarball}`, checkout, env), noTarball) };
  const exportPeers: Row[] = [
    { name: "tar -cf", seconds: timeit(RUNS, () => sh(`tar -cf ${tarball} ${parts}`, files), noTarball) },
    { name: "tar -cf && sync FILE", seconds: timeit(RUNS, () => sh(`tar -cf ${tarball} ${parts} && sync ${tarball}`, files), noTarball) },
    { name: "openssl dgst -sha256", seconds: timeit(RUNS, () => sh(`openssl dgst -sha256 ${parts} >/dev/null`, files)) },
  ];
  const outs = [table("export of 1 GiB in 8 files (pvr hashes every object on the way)", exportOurs, exportPeers)];

  // import reads pvr's export; tar -xf reads tar's own archive of the same files
  noTarball();
  sh(`${PVR} export ${tarball}`, checkout, env);
  const tarTarball = join(dir, "tar.tar");
  sh(`tar -cf ${tarTarball} ${parts}`, files);
  const freshImport = () => {
    rmSync(importer, { recursive: true, force: true });
    rmSync(importCfg, { recursive: true, force: true });
    mkdirSync(importer);
    sh(`${PVR} init`, importer, { PVR_CONFIG_DIR: importCfg });
    sh("sync");
  };
  const freshExtract = () => {
    rmSync(extracted, { recursive: true, force: true });
    mkdirSync(extracted);
    sh("sync");
  };
  const importOurs: Row = {
    name: "pvr import",
    seconds: timeit(RUNS, () => sh(`${PVR} import ${tarball} 2>/dev/null`, importer, { PVR_CONFIG_DIR: importCfg }), freshImport),
  };
  sh(`test "$(ls ${importCfg}/objects | wc -l)" = 8`);
  const importPeers: Row[] = [
    { name: "tar -xf", seconds: timeit(RUNS, () => sh(`tar -xf ${tarTarball} -C ${extracted}`), freshExtract) },
    { name: "tar -xf && sync FILES", seconds: timeit(RUNS, () => sh(`tar -xf ${tarTarball} -C ${extracted} && sync ${parts}`, extracted), freshExtract) },
    { name: "openssl dgst -sha256", seconds: timeit(RUNS, () => sh(`openssl dgst -sha256 ${parts} >/dev/null`, files)) },
  ];
  outs.push(table("import of 1 GiB in 8 files into a fresh store (pvr verifies every object)", importOurs, importPeers));
  for (const p of [tarball, tarTarball, importer, importCfg, extracted, checkout, cfg]) rmSync(p, { recursive: true, force: true });
  return outs;
}

export function runTransferBench(work: string): string[] {
  const dir = join(work, "transfer");
  mkdirSync(dir, { recursive: true });
  const out = [deployRows(dir), ...transferRows(dir)];
  for (const p of ["checkout", "cfg", "out"]) rmSync(join(dir, p), { recursive: true, force: true });
  return out;
}
