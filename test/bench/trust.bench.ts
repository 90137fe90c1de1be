/**
 * Issue 5 benchmark: `pvr dm-convert` of a 1 GiB volume side by side with `veritysetup format`
 * of the same file (target: within 1.2x), and `pvr sig add` / `pvr sig ls` on a 10,000-entry
 * state, beside python3-jwcrypto verifying the same signature (payload rebuilt in Python) and
 * `openssl dgst -sha256` over the 10,000 objects that `sig ls` re-hashes.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { have, PVR, ROOT, type Row, sh, table, timeit, writeFiles } from "./lib";

const RUNS = Number(process.env.BENCH_RUNS ?? 3);

function dmRows(work: string): string {
  const repo = join(work, "dm");
  const cfg = join(work, "dm-cfg");
  const data = join(repo, "app", "root.squashfs");
  if (!existsSync(data)) {
    mkdirSync(join(repo, "app"), { recursive: true });
    sh(`openssl enc -aes-128-ctr -nosalt -pass pass:bench -pbkdf2 < /dev/zero 2>/dev/null | head -c ${1 << 30} > ${data}`);
  }
  rmSync(join(repo, ".pvr"), { recursive: true, force: true });
  sh(`${PVR} init`, repo, { PVR_CONFIG_DIR: cfg });
  writeFileSync(join(repo, "app", "run.json"), '{"root-volume":"root.squashfs"}');
  const reset = () => rmSync(join(repo, "app", "_dm"), { recursive: true, force: true });
  const ours: Row = { name: "pvr dm-convert", seconds: timeit(RUNS, () => sh(`${PVR} dm-convert app root.squashfs >/dev/null`, repo, { PVR_CONFIG_DIR: cfg }), reset) };
  const peers: Row[] = have("veritysetup")
    ? [{ name: "veritysetup format", seconds: timeit(RUNS, () => sh(`veritysetup format root.squashfs ref.hash >/dev/null`, join(repo, "app"))) }]
    : [{ name: "veritysetup format", seconds: null, note: "veritysetup not installed" }];
  peers.push({ name: "openssl dgst -sha256 (1 GiB floor)", seconds: timeit(RUNS, () => sh(`openssl dgst -sha256 ${data} >/dev/null`)) });
  rmSync(join(repo, "app", "ref.hash"), { force: true });
  return table("dm-convert of a 1 GiB volume (target: pvr within 1.2x of veritysetup format)", ours, peers);
}

function sigRows(work: string): string[] {
  const repo = join(work, "sig");
  const cfg = join(work, "sig-cfg");
  const key = join(work, "sig-key.pem");
  if (!existsSync(join(repo, ".pvr"))) {
    rmSync(cfg, { recursive: true, force: true });
    writeFiles(repo, 10_000, (i) => 512 + ((i * 7919) % 7680));
    sh(`${PVR} init && ${PVR} add . && ${PVR} commit -m bench`, repo, { PVR_CONFIG_DIR: cfg });
  }
  sh(`openssl genrsa -out ${key} 2048 2>/dev/null && openssl pkey -in ${key} -pubout -out ${key}.pub`);
  const env = { PVR_CONFIG_DIR: cfg };
  const add = `${PVR} sig --key ${key} --x5c no add --raw all`;
  const add_: Row = { name: "pvr sig add (10,000 entries)", seconds: timeit(RUNS, () => sh(`${add} 2>/dev/null`, repo, env)) };
  sh(`${PVR} add _sigs/all.json && ${PVR} commit`, repo, env);
  const ls: Row = { name: "pvr sig ls (re-hashes 10,000 objects)", seconds: timeit(RUNS, () => sh(`${PVR} sig --pubkey ${key}.pub ls >/dev/null`, repo, env)) };
  const lsQuick: Row = { name: "pvr sig ls --skip-objects", seconds: timeit(RUNS, () => sh(`${PVR} sig --pubkey ${key}.pub ls --skip-objects >/dev/null`, repo, env)) };
  const peers: Row[] = [lsQuick];
  if (existsSync("/usr/bin/python3") && Bun.spawnSync(["/usr/bin/python3", "-c", "import jwcrypto"]).exitCode === 0) {
    const py = `/usr/bin/python3 ${join(ROOT, "test", "tools", "pvs-verify.py")} .pvr/json _sigs/all.json ${key}.pub >/dev/null`;
    peers.push({ name: "python3-jwcrypto verify (same payload)", seconds: timeit(RUNS, () => sh(py, repo)) });
  } else peers.push({ name: "python3-jwcrypto verify", seconds: null, note: "python3-jwcrypto not installed" });
  peers.push({ name: "openssl dgst -sha256 of the 10,000 objects", seconds: timeit(RUNS, () => sh(`ls | xargs openssl dgst -sha256 >/dev/null`, join(cfg, "objects"))) });
  return [table("sig add on a 10,000-entry state", add_, []), table("sig ls on a 10,000-entry state", ls, peers)];
}

export function runTrustBench(work: string): string[] {
  return [dmRows(work), ...sigRows(work)];
}
