/**
 * Issue 2 benchmark: commit of 1 GiB in 8 files and of 10,000 small files, and status on the
 * unchanged 10,000-file tree, side by side with `git add -A && git commit`, `ostree commit` and
 * `openssl dgst -sha256` over the same bytes. Targets: big commit within 1.25x of openssl;
 * status within 2x of git status.
 */
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { have, PVR, type Row, sh, table, timeInterleaved, timeit, writeFiles } from "./lib";

const RUNS = Number(process.env.BENCH_RUNS ?? 3);

function pvrCommit(data: string, cfg: string): void {
  sh(`${PVR} init && ${PVR} add . && ${PVR} commit -m bench`, data, { PVR_CONFIG_DIR: cfg });
}

function commitRows(work: string, data: string, files: string): [Row, Row[]] {
  const cfg = join(work, "cfg");
  const reset = () => {
    rmSync(join(data, ".pvr"), { recursive: true, force: true });
    rmSync(cfg, { recursive: true, force: true });
    rmSync(join(work, "git"), { recursive: true, force: true });
    rmSync(join(work, "ostree"), { recursive: true, force: true });
    sh("sync"); // the previous run's writeback must not land in this run's time
  };
  const ours: Row = { name: "pvr init+add+commit", seconds: timeit(RUNS, () => pvrCommit(data, cfg), reset) };
  reset();
  const peers: Row[] = [
    { name: "openssl dgst -sha256", seconds: timeit(RUNS, () => sh(`openssl dgst -sha256 ${files} >/dev/null`, data)) },
    {
      name: "git add -A && git commit",
      seconds: timeit(RUNS, () => sh(`git --git-dir=${work}/git --work-tree=. add -A && git --git-dir=${work}/git --work-tree=. -c user.name=b -c user.email=b@b commit -qm b`, data), () => {
        reset();
        sh(`git init -q --bare ${work}/git`);
      }),
    },
    have("ostree")
      ? {
          name: "ostree commit (bare)",
          seconds: timeit(RUNS, () => sh(`ostree --repo=${work}/ostree commit --branch=b --tree=dir=. >/dev/null`, data), () => {
            reset();
            sh(`ostree --repo=${work}/ostree init --mode=bare`);
          }),
        }
      : { name: "ostree commit", seconds: null, note: "ostree not installed" },
  ];
  reset();
  return [ours, peers];
}

export function runEngineBench(work: string): string[] {
  const out: string[] = [];
  const big = join(work, "big");
  mkdirSync(big, { recursive: true });
  for (let i = 0; i < 8; i++) {
    const f = join(big, `part${i}.bin`);
    if (!existsSync(f)) sh(`head -c ${128 << 20} /dev/urandom > ${f}`);
  }
  const [oursBig, peersBig] = commitRows(work, big, "part*.bin");
  out.push(table("commit 1 GiB in 8 files (target: pvr within 1.25x of openssl)", oursBig, peersBig));

  const small = join(work, "small");
  if (!existsSync(small)) writeFiles(small, 10_000, (i) => 512 + ((i * 7919) % 7680));
  const [oursSmall, peersSmall] = commitRows(work, small, "-r d*/*.bin");
  out.push(table("commit 10,000 small files (512 B to 8 KiB)", oursSmall, peersSmall.slice(1)));

  // status on the unchanged tree: both committed, caches warm and older than the racy window
  const cfg = join(work, "cfg");
  pvrCommit(small, cfg);
  sh(`git init -q --bare ${work}/git && git --git-dir=${work}/git --work-tree=. add -A && git --git-dir=${work}/git --work-tree=. -c user.name=b -c user.email=b@b commit -qm b`, small);
  Bun.sleepSync(2500);
  sh(`${PVR} status && git --git-dir=${work}/git --work-tree=. status >/dev/null`, small, { PVR_CONFIG_DIR: cfg });
  // interleaved, so a change in this VM's load during the runs touches both sides alike
  const [tOurs, tGit] = timeInterleaved(Math.max(RUNS, 20), [
    { run: () => sh(`${PVR} status >/dev/null`, small, { PVR_CONFIG_DIR: cfg }) },
    { run: () => sh(`git --git-dir=${work}/git --work-tree=. status >/dev/null`, small) },
  ]);
  const ours: Row = { name: "pvr status", seconds: tOurs as number };
  const git: Row = { name: "git status", seconds: tGit as number };
  out.push(table("status on the unchanged 10,000-file tree (target: within 2x of git status)", ours, [git]));
  rmSync(join(small, ".pvr"), { recursive: true, force: true });
  rmSync(join(work, "git"), { recursive: true, force: true });
  return out;
}
