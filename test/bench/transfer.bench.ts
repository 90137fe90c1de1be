/**
 * Issue 3 benchmark: deploy of a 10,000-object revision, side by side with `cp -al` and
 * `ostree checkout -H` of the same tree (every tool produces 10,000 hard links in 100
 * directories), and export/import of 1 GiB in 8 files side by side with `tar -cf`/`tar -xf` of
 * the same files (then the same for the 10,000 small files, where per-object costs show).
 * pvr makes what it writes durable, so the tar rows are also given with a flush of their output
 * (`sync FILE` fsyncs the archive, `sync -f DIR` is a syncfs), and `openssl dgst -sha256` of the
 * same bytes is the floor for a tool that verifies every object. The tools take turns within
 * each round (timeInterleaved). Target: deploy within 1.5x of `cp -al`.
 */
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { type Case, have, PVR, type Row, sh, table, timeInterleaved, writeFiles } from "./lib";

const RUNS = Number(process.env.BENCH_RUNS ?? 3);

/** A tree of files, and a checkout of it (hard-linked) committed into the store of `cfg`. */
interface Tree {
  what: string;
  files: string;
  checkout: string;
  cfg: string;
  /** What `tar -cf` archives, relative to `files` (shell words). */
  members: string;
  objects: number;
}

function committedCheckout(tree: Tree): void {
  rmSync(tree.checkout, { recursive: true, force: true });
  rmSync(tree.cfg, { recursive: true, force: true });
  sh(`cp -al ${tree.files} ${tree.checkout}`);
  sh(`${PVR} init && ${PVR} add . && ${PVR} commit -m bench`, tree.checkout, { PVR_CONFIG_DIR: tree.cfg });
}

/** Reads the files under `paths` so every tool starts from a warm page cache. */
function warm(...paths: string[]): void {
  sh(`find ${paths.join(" ")} -type f -exec cat {} + >/dev/null`);
}

/** Removes `paths`, then flushes, so the writeback and discards do not land in a timed run. */
function clean(...paths: string[]): void {
  for (const p of paths) rmSync(p, { recursive: true, force: true });
  sh("sync");
}

/** Times named cases in turns and prints them as a table, the first one being pvr's. */
function compare(title: string, runs: number, cases: Array<Case & { name: string }>, extra: Row[] = []): string {
  const secs = timeInterleaved(runs, cases);
  const rows: Row[] = cases.map((c, i) => ({ name: c.name, seconds: secs[i] as number }));
  return table(title, rows[0] as Row, [...rows.slice(1), ...extra]);
}

function deployRows(dir: string, tree: Tree): string {
  const out = join(dir, "out");
  const env = { PVR_CONFIG_DIR: tree.cfg };
  const prepare = () => clean(out);
  // one untimed deploy first: it makes the store's objects 0444, as every later deploy finds them
  prepare();
  sh(`${PVR} deploy ${out} 2>/dev/null`, tree.checkout, env);
  sh(`test "$(find ${out} -type f -links +1 -not -path '*/.pvr/*' | wc -l)" = ${tree.objects}`);
  const cases = [
    { name: "pvr deploy", run: () => sh(`${PVR} deploy ${out} >/dev/null 2>&1`, tree.checkout, env), prepare },
    { name: "cp -al", run: () => sh(`cp -al ${tree.files} ${out}`), prepare },
  ];
  const repo = join(dir, "ostree");
  const extra: Row[] = [];
  if (have("ostree")) {
    rmSync(repo, { recursive: true, force: true });
    sh(`ostree --repo=${repo} init --mode=bare && ostree --repo=${repo} commit --branch=b --tree=dir=${tree.files} >/dev/null`);
    cases.push({ name: "ostree checkout -H (bare)", run: () => sh(`ostree --repo=${repo} checkout -H b ${out}`), prepare });
  } else extra.push({ name: "ostree checkout -H", seconds: null, note: "ostree not installed" });
  // a run takes a fifth of a second: more rounds cost little and steady the medians
  const result = compare(`deploy of a ${tree.what} revision (target: pvr within 1.5x of cp -al)`, Math.max(RUNS, 9), cases, extra);
  clean(out, repo);
  return result;
}

/**
 * Export and import, each run writing to a path of its own: deleting a GiB between runs would
 * make the next run pay for the filesystem's discards. Everything is removed after the table.
 */
function exportImportRows(dir: string, tree: Tree): string[] {
  const env = { PVR_CONFIG_DIR: tree.cfg };
  // pvr reads the store, tar the files: both warm, as after the commit that wrote them
  const inputs = [join(tree.cfg, "objects"), tree.files];
  let n = 0;
  const made: string[] = [];
  const next = (name: string) => {
    const p = join(dir, `${name}-${++n}`);
    made.push(p);
    return p;
  };
  /** A case writing to a fresh `name-N` each run. */
  const writing = (name: string, command: (out: string) => void): Case & { name: string } => {
    let out = "";
    return {
      name,
      prepare: () => {
        out = next("out");
        warm(...inputs);
        sh("sync");
      },
      run: () => command(out),
    };
  };
  const outs = [
    compare(`export of ${tree.what} (pvr hashes every object on the way)`, RUNS, [
      writing("pvr export", (out) => sh(`${PVR} export ${out}`, tree.checkout, env)),
      writing("tar -cf", (out) => sh(`tar -cf ${out} ${tree.members}`, tree.files)),
      writing("tar -cf && sync FILE", (out) => sh(`tar -cf ${out} ${tree.members} && sync ${out}`, tree.files)),
      {
        name: "openssl dgst -sha256",
        prepare: () => warm(...inputs),
        run: () => sh(`find ${tree.members} -type f -print0 | xargs -0 openssl dgst -sha256 >/dev/null`, tree.files),
      },
    ]),
  ];
  clean(...made.splice(0));

  // pvr imports its own export; tar -xf extracts tar's own archive of the same files
  const tarball = next("export.tar");
  const tarTarball = next("tar.tar");
  sh(`${PVR} export ${tarball}`, tree.checkout, env);
  sh(`tar -cf ${tarTarball} ${tree.members}`, tree.files);
  sh("sync");
  let importer = "";
  let cfg = "";
  const extracting = (name: string, command: (out: string) => string): Case & { name: string } => {
    let out = "";
    return {
      name,
      prepare: () => {
        out = next("extract");
        mkdirSync(out);
        warm(tarball, tarTarball);
        sh("sync");
      },
      run: () => sh(command(out)),
    };
  };
  outs.push(
    compare(`import of ${tree.what} into a fresh store (pvr verifies every object)`, RUNS, [
      {
        name: "pvr import",
        prepare: () => {
          importer = next("import");
          cfg = next("importcfg");
          mkdirSync(importer);
          sh(`${PVR} init`, importer, { PVR_CONFIG_DIR: cfg });
          warm(tarball, tarTarball);
          sh("sync");
        },
        run: () => sh(`${PVR} import ${tarball} 2>/dev/null`, importer, { PVR_CONFIG_DIR: cfg }),
      },
      extracting("tar -xf", (out) => `tar -xf ${tarTarball} -C ${out}`),
      extracting("tar -xf && sync -f", (out) => `tar -xf ${tarTarball} -C ${out} && sync -f ${out}`),
    ]),
  );
  sh(`test "$(ls ${cfg}/objects | wc -l)" = ${tree.objects}`);
  clean(...made);
  return outs;
}

export function runTransferBench(work: string): string[] {
  const dir = join(work, "transfer");
  mkdirSync(dir, { recursive: true });
  const small: Tree = {
    what: "10,000-object",
    files: join(dir, "files"),
    checkout: join(dir, "checkout"),
    cfg: join(dir, "cfg"),
    members: "d*",
    objects: 10_000,
  };
  if (!existsSync(small.files)) writeFiles(small.files, 10_000, (i) => 512 + ((i * 7919) % 7680));
  committedCheckout(small);
  const out = [deployRows(dir, small)];

  const big: Tree = {
    what: "1 GiB in 8 files",
    files: join(dir, "bigfiles"),
    checkout: join(dir, "bigcheckout"),
    cfg: join(dir, "bigcfg"),
    members: Array.from({ length: 8 }, (_, i) => `part${i}.bin`).join(" "),
    objects: 8,
  };
  mkdirSync(big.files, { recursive: true });
  for (let i = 0; i < 8; i++) {
    const f = join(big.files, `part${i}.bin`);
    if (!existsSync(f)) sh(`head -c ${128 << 20} /dev/urandom > ${f}`);
  }
  committedCheckout(big);
  out.push(...exportImportRows(dir, big));
  clean(big.checkout, big.cfg);

  out.push(...exportImportRows(dir, { ...small, what: "10,000 small files (512 B to 8 KiB)" }));
  clean(small.checkout, small.cfg);
  return out;
}
