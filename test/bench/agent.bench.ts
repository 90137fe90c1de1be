/**
 * Issue 4 benchmark: the on-device agent as a real process (`pvr agent --listen 127.0.0.1:0`).
 * `pvr clone` of a 1 GiB revision (8 x 128 MiB) and of a 5,000-object revision (1-8 KiB) against
 * curl fetching the same objects from nginx (4 parallel transfers); `pvr post --wait` of the same
 * to a fresh agent against `curl -T` PUT to nginx (dav_methods PUT); agent RSS idle and peak.
 * Targets: pvr throughput >= 0.7x nginx (pvr time <= nginx time / 0.7); idle RSS <= 45 MiB,
 * peak RSS <= 100 MiB. A reference row repeats curl followed by `sync -f`, since pvr makes every
 * object it stores durable and curl and nginx do not. Every process started here is stopped in a finally block.
 *
 * Everything the transfers write (agent storage, nginx's files, clones, curl's output) lives on
 * a fresh ext4 filesystem on a loop device when we may make one (root, mkfs.ext4, losetup): the
 * bench directory's filesystem carries the state of earlier runs, and on this project's VMs (ext4
 * without a journal) every file creation after a mass deletion scans the recently deleted
 * inodes, which measured the harness's `rm -rf` rather than the tools. The loop device does
 * direct I/O to its image file: a buffered one copies every block written back into the image
 * file's page cache on the same two vCPUs, a cost no real disk has, which charged whoever makes
 * data durable (pvr, and the `sync -f` reference rows) a second page-cache write and made their
 * times swing from run to run. Both sides run on the same filesystem either way; the tables
 * say which one.
 */
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { have, PVR, ROOT, sh, timeInterleaved, writeFiles } from "./lib";

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
/** The pvr command line: $PVR_BIN, else dist/pvr if built, else `bun cli/main.ts`. */
export const PVR_CMD: string[] = process.env.PVR_BIN
  ? [process.env.PVR_BIN]
  : existsSync(PVR)
    ? [PVR]
    : [process.execPath, join(ROOT, "cli", "main.ts")];
const PVR_SH = PVR_CMD.map((a) => `'${a}'`).join(" ");
const MiB = 1 << 20;

// ---------------------------------------------------------------- processes

interface Proc {
  pid: number;
  kill: () => void;
}

function alive(pid: number): boolean {
  try {
    const st = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^\d+ \(.*\) [ZX] /.test(st);
  } catch {
    return false;
  }
}

/** Spawns `cmd` with stdout+stderr into `log`; kill() sends SIGTERM, then SIGKILL after 10 s. */
function spawnLogged(cmd: string[], log: string, cwd?: string): Proc {
  const fd = openSync(log, "w");
  const p = Bun.spawn(cmd, { cwd, stdin: "ignore", stdout: fd, stderr: fd });
  closeSync(fd);
  let done = false;
  return {
    pid: p.pid,
    kill: () => {
      if (done) return;
      done = true;
      try {
        p.kill("SIGTERM");
      } catch {}
      for (let i = 0; i < 200 && alive(p.pid); i++) Bun.sleepSync(50);
      if (alive(p.pid)) {
        try {
          p.kill("SIGKILL");
        } catch {}
        for (let i = 0; i < 40 && alive(p.pid); i++) Bun.sleepSync(50);
      }
    },
  };
}

function waitFor<T>(what: string, timeoutMs: number, probe: () => T | null): T {
  const end = performance.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== null) return v;
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    Bun.sleepSync(20);
  }
}

interface Agent extends Proc {
  url: string;
  storage: string;
  log: string;
}

function startAgent(storage: string, log: string): Agent {
  mkdirSync(storage, { recursive: true });
  const p = spawnLogged([...PVR_CMD, "agent", "--listen", "127.0.0.1:0", "--storage", storage], log);
  try {
    const url = waitFor("pvr agent listening", 20_000, () => {
      const m = /pvr agent listening on (\S+)/.exec(readFileSync(log, "utf8"));
      if (m) return m[1] as string;
      if (!alive(p.pid)) throw new Error(`pvr agent exited: ${readFileSync(log, "utf8")}`);
      return null;
    });
    return { ...p, url, storage, log };
  } catch (err) {
    p.kill();
    throw err;
  }
}

function freePort(): number {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = s.port;
  s.stop(true);
  return port;
}

interface Nginx extends Proc {
  base: string;
}

/** nginx in the foreground serving `root` for GET and `upload` (under /up/) for PUT. */
function startNginx(dir: string, root: string, upload: string): Nginx {
  mkdirSync(join(dir, "logs"), { recursive: true });
  mkdirSync(join(dir, "tmp"), { recursive: true });
  mkdirSync(upload, { recursive: true });
  const port = freePort();
  const conf = join(dir, "nginx.conf");
  writeFileSync(
    conf,
    `user root;
worker_processes 2;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  default_type application/octet-stream;
  client_body_temp_path ${upload}/.tmp;
  proxy_temp_path ${dir}/tmp/proxy; fastcgi_temp_path ${dir}/tmp/fcgi; uwsgi_temp_path ${dir}/tmp/uwsgi; scgi_temp_path ${dir}/tmp/scgi;
  client_max_body_size 0;
  server {
    listen 127.0.0.1:${port};
    location / { root ${root}; }
    location /up/ { alias ${upload}/; dav_methods PUT; create_full_put_path on; }
  }
}
`,
  );
  mkdirSync(join(upload, ".tmp"), { recursive: true });
  const p = spawnLogged(["nginx", "-p", dir, "-c", conf], join(dir, "logs", "stdout.log"));
  try {
    waitFor("nginx listening", 10_000, () => {
      if (!alive(p.pid)) throw new Error(`nginx exited: ${readFileSync(join(dir, "logs", "error.log"), "utf8")}`);
      return Bun.spawnSync(["curl", "-s", "-o", "/dev/null", `http://127.0.0.1:${port}/`]).exitCode === 0 ? true : null;
    });
    return { ...p, base: `http://127.0.0.1:${port}` };
  } catch (err) {
    p.kill();
    throw err;
  }
}

// ---------------------------------------------------------------- memory sampling

function procKiB(pid: number, field: "VmRSS" | "VmHWM"): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : 0;
}

/** Resets VmHWM (Linux clear_refs 5); false when not permitted. */
function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

/** A separate sampler process (the bench blocks in spawnSync) writing VmRSS every 50 ms. */
function startSampler(pid: number, out: string): Proc {
  return spawnLogged(["bash", "-c", `while [ -e /proc/${pid} ]; do awk '/^VmRSS/{print $2}' /proc/${pid}/status 2>/dev/null; sleep 0.05; done`], out);
}

function samplerMaxKiB(out: string): number {
  let max = 0;
  for (const l of readFileSync(out, "utf8").split("\n")) if (l.trim()) max = Math.max(max, Number(l));
  return max;
}

const mib = (kib: number) => (kib / 1024).toFixed(1);

// ---------------------------------------------------------------- timing and tables


interface TRow {
  name: string;
  seconds: number | null;
  note?: string;
  /** A reference row: its ratio is shown but not held to the target. */
  reference?: boolean;
}

/** Throughput table: MB/s per tool and pvr throughput relative to each peer (peer time / pvr time). */
function throughputTable(title: string, bytes: number, ours: TRow, peers: TRow[], target = 0.7): string {
  const lines = [`\n${title}`, "| tool | seconds | MiB/s | pvr throughput / tool |", "|---|---|---|---|"];
  for (const r of [ours, ...peers]) {
    const verdict = (x: number) => (r.reference ? " (reference)" : x >= target ? " (ok)" : ` (MISS, target ${target})`);
    const ratio = r === ours || r.seconds === null || ours.seconds === null ? "" : (r.seconds / ours.seconds).toFixed(2) + verdict(r.seconds / ours.seconds);
    const rate = r.seconds === null ? "" : (bytes / MiB / r.seconds).toFixed(1);
    lines.push(`| ${r.name} | ${r.seconds === null ? `n/a (${r.note})` : r.seconds.toFixed(3)} | ${rate} | ${ratio} |`);
  }
  const out = lines.join("\n");
  console.log(out);
  return out;
}

// ---------------------------------------------------------------- the bench

interface DataSet {
  label: string;
  checkout: string;
  cfg: string;
  bytes: number;
  count: number;
}

function dirBytes(dir: string): [number, number] {
  let bytes = 0;
  let count = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const p = join(e.parentPath, e.name);
    if (p.includes("/.pvr")) continue;
    bytes += statSync(p).size;
    count++;
  }
  return [bytes, count];
}

function prepareCheckout(work: string, label: string, make: (dir: string) => void): DataSet {
  const checkout = join(work, `agent-${label}`);
  const cfg = join(work, `agent-${label}-cfg`);
  const marker = join(checkout, ".pvr");
  if (!existsSync(marker)) {
    rmSync(checkout, { recursive: true, force: true });
    rmSync(cfg, { recursive: true, force: true });
    mkdirSync(checkout, { recursive: true });
    make(checkout);
    sh(`${PVR_SH} init && ${PVR_SH} add . && ${PVR_SH} commit -m bench >/dev/null`, checkout, { PVR_CONFIG_DIR: cfg });
  }
  const [bytes, count] = dirBytes(checkout);
  return { label, checkout, cfg, bytes, count };
}

/** Object files in an agent's storage (name = sha256), for nginx and curl. */
function objectNames(storage: string): string[] {
  return readdirSync(join(storage, "objects")).filter((n) => /^[0-9a-f]{64}$/.test(n));
}

const CURL = "curl --fail --silent --show-error --parallel --parallel-max 4";

interface Scratch {
  dir: string;
  what: string;
  release(): void;
}

/** The directory the transfers write to: a fresh loop-mounted ext4 when possible (see the top). */
function scratchFs(work: string): Scratch {
  const dir = join(work, "agent-tmp");
  const img = join(work, "agent-fs.img");
  try {
    sh(`umount '${dir}' 2>/dev/null; true`);
  } catch {}
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  if (process.getuid?.() === 0 && have("mkfs.ext4") && have("losetup")) {
    let dev = "";
    try {
      // allocated up front (fallocate), so writes do not also allocate the image file's blocks;
      // direct I/O, so what reaches the device is not copied once more into the image file's page cache
      sh(`rm -f '${img}' && (fallocate -l 12G '${img}' || truncate -s 12G '${img}')`);
      const r = Bun.spawnSync(["losetup", "--find", "--show", "--direct-io=on", img], { stdout: "pipe", stderr: "pipe" });
      dev = r.stdout.toString().trim();
      if (r.exitCode !== 0 || !dev.startsWith("/dev/")) throw new Error(`losetup: ${r.stderr.toString().trim()}`);
      sh(`mkfs.ext4 -q -F '${dev}' && mount '${dev}' '${dir}'`);
      return {
        dir,
        what: "a fresh ext4 on a loop device (direct I/O)",
        release: () => {
          sh(`umount '${dir}'`);
          sh(`losetup -d '${dev}'`);
          rmSync(img, { force: true });
          rmSync(dir, { recursive: true, force: true });
        },
      };
    } catch (err) {
      console.log(`(no loop-mounted ext4: ${(err as Error).message.split("\n")[0]}; using the bench directory)`);
      if (dev) Bun.spawnSync(["losetup", "-d", dev]);
      rmSync(img, { force: true });
    }
  }
  return { dir, what: "the bench directory's filesystem", release: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Drops the executable's pages from the page cache (GNU dd iflag=nocache), so the agents load it
 * as a device loads its installed binary: from storage. A binary the compiler has just written
 * stays cached in the large folios it was written in, and the kernel maps a whole cached folio
 * around each page an agent touches: the same agent idled at 43-46 MiB that way, 38 MiB loaded
 * from disk. Returns whether the cache was dropped.
 */
function loadExecutableFromDisk(): boolean {
  const exe = PVR_CMD.length === 1 ? PVR_CMD[0] : undefined;
  if (!exe) return false;
  return Bun.spawnSync(["dd", `if=${exe}`, "iflag=nocache", "count=0", "status=none"]).exitCode === 0;
}

export function runAgentBench(work: string): string[] {
  const out: string[] = [];
  const scratch = scratchFs(work);
  const tmp = scratch.dir;
  const fromDisk = loadExecutableFromDisk();
  console.log(`pvr agent bench: ${PVR_CMD.join(" ")} (median of ${RUNS} runs${fromDisk ? ", executable loaded from disk" : ""}), transfers written to ${scratch.what}`);
  const procs: Proc[] = [];
  const track = <T extends Proc>(p: T): T => {
    procs.push(p);
    return p;
  };
  try {
    const big = prepareCheckout(work, "big", (dir) => {
      for (let i = 0; i < 8; i++) sh(`head -c ${128 * MiB} /dev/urandom > part${i}.bin`, dir);
    });
    const small = prepareCheckout(work, "small", (dir) => writeFiles(dir, 5000, (i) => 1024 + ((i * 7919) % 7169)));

    const mem: string[] = ["\nagent memory (targets: idle <= 45 MiB, peak <= 100 MiB)", "| phase | RSS MiB | target |", "|---|---|---|"];
    const memRow = (phase: string, kib: number, limit: number) =>
      mem.push(`| ${phase} | ${mib(kib)} | ${kib / 1024 <= limit ? `ok (<= ${limit})` : `MISS by ${(kib / 1024 - limit).toFixed(1)} (> ${limit})`} |`);
    let hwmOk = true;

    // -------- post: pvr post --wait to a fresh agent vs curl -T PUT to nginx
    const nginxDir = join(tmp, "nginx");
    const upload = join(tmp, "nginx-up");
    const served = join(tmp, "served"); // nginx GET root, filled per data set below
    mkdirSync(served, { recursive: true });
    const nginx = track(startNginx(nginxDir, served, upload));
    const agents: Record<string, Agent> = {};
    let postPeakKiB = 0;
    let postAgent: Agent | null = null;
    let sampleIdx = 0;
    let sampler: Proc | null = null;
    const stopPostAgent = () => {
      sampler?.kill();
      if (postAgent) {
        postPeakKiB = Math.max(postPeakKiB, procKiB(postAgent.pid, "VmHWM"));
        postAgent.kill();
        rmSync(postAgent.storage, { recursive: true, force: true });
        postAgent = null;
      }
    };
    for (const ds of [big, small]) {
      // a persistent agent per data set holding that revision, for the clone phase
      const a = track(startAgent(join(tmp, `agent-${ds.label}`), join(tmp, `agent-${ds.label}.log`)));
      sh(`${PVR_SH} post --wait ${a.url} >/dev/null`, ds.checkout, { PVR_CONFIG_DIR: ds.cfg });
      agents[ds.label] = a;
      const names = objectNames(a.storage);
      // same bytes as the upload source for curl -T
      const putList = join(tmp, `put-${ds.label}.curl`);
      writeFileSync(putList, names.map((n) => `upload-file = "${join(a.storage, "objects", n)}"\nurl = "${nginx.base}/up/${n}"\noutput = "/dev/null"\n`).join(""));
      let idleKiB = 0;
      const [tPost, tPut, tPutSync] = timeInterleaved(RUNS, [
        {
          prepare: () => {
            stopPostAgent();
            sh("sync");
            postAgent = startAgent(join(tmp, `post-agent-${sampleIdx}`), join(tmp, `post-agent-${sampleIdx}.log`));
            track(postAgent);
            Bun.sleepSync(500);
            idleKiB = Math.max(idleKiB, procKiB(postAgent.pid, "VmRSS"));
            sampler = track(startSampler(postAgent.pid, join(tmp, `rss-post-${sampleIdx++}.txt`)));
          },
          run: () => sh(`${PVR_SH} post --wait ${(postAgent as Agent).url} >/dev/null`, ds.checkout, { PVR_CONFIG_DIR: ds.cfg }),
        },
        {
          prepare: () => {
            stopPostAgent();
            rmSync(upload, { recursive: true, force: true });
            mkdirSync(join(upload, ".tmp"), { recursive: true });
            sh("sync");
          },
          run: () => sh(`${CURL} -K ${putList}`),
        },
        {
          prepare: () => {
            rmSync(upload, { recursive: true, force: true });
            mkdirSync(join(upload, ".tmp"), { recursive: true });
            sh("sync");
          },
          // the same, made durable as pvr makes every object it receives
          run: () => sh(`${CURL} -K ${putList} && sync -f '${upload}'`),
        },
      ]);
      stopPostAgent();
      let sampledPost = 0;
      for (let i = 0; i < sampleIdx; i++) {
        const f = join(tmp, `rss-post-${i}.txt`);
        if (existsSync(f)) sampledPost = Math.max(sampledPost, samplerMaxKiB(f));
        rmSync(f, { force: true });
      }
      if (ds === big) memRow("idle after start (fresh agent, max over post runs)", idleKiB, 45);
      memRow(`peak during post ${ds.label} (VmHWM)`, postPeakKiB, 100);
      mem.push(`| peak during post ${ds.label} (50 ms VmRSS samples) | ${mib(sampledPost)} | |`);
      postPeakKiB = 0;
      out.push(
        throughputTable(`post ${describe(ds)} to a fresh agent (pvr post --wait) vs curl -T PUT to nginx (dav_methods PUT, 4 parallel)`, ds.bytes, { name: "pvr post --wait", seconds: tPost ?? null }, [
          { name: "curl -T nginx PUT", seconds: tPut ?? null },
          { name: "curl -T nginx PUT, then sync -f", seconds: tPutSync ?? null, reference: true },
        ]),
      );
      rmSync(upload, { recursive: true, force: true });
    }

    // -------- clone: pvr clone vs curl GET from nginx serving the same object files
    for (const ds of [big, small]) {
      const a = agents[ds.label] as Agent;
      const names = objectNames(a.storage);
      rmSync(served, { recursive: true, force: true });
      sh(`cp -al '${join(a.storage, "objects")}' '${served}'`); // hard links: same inodes, same page cache
      const getDir = join(tmp, "get");
      const getList = join(tmp, `get-${ds.label}.curl`);
      writeFileSync(getList, names.map((n) => `url = "${nginx.base}/${n}"\noutput = "${join(getDir, n)}"\n`).join(""));
      const cloneDir = join(tmp, "clone");
      const cloneCfg = join(tmp, "clone-cfg");
      Bun.sleepSync(1000);
      resetPeak(a.pid);
      const sampleFile = join(tmp, `rss-clone-${ds.label}.txt`);
      const s = track(startSampler(a.pid, sampleFile));
      const [tClone, tGet, tGetSync] = timeInterleaved(RUNS, [
        {
          prepare: () => {
            rmSync(cloneDir, { recursive: true, force: true });
            rmSync(cloneCfg, { recursive: true, force: true });
            sh("sync");
          },
          run: () => sh(`${PVR_SH} clone ${a.url} '${cloneDir}' >/dev/null`, undefined, { PVR_CONFIG_DIR: cloneCfg }),
        },
        {
          prepare: () => {
            rmSync(getDir, { recursive: true, force: true });
            mkdirSync(getDir, { recursive: true });
            sh("sync");
          },
          run: () => sh(`${CURL} -K ${getList}`),
        },
        {
          prepare: () => {
            rmSync(getDir, { recursive: true, force: true });
            mkdirSync(getDir, { recursive: true });
            sh("sync");
          },
          // the same, made durable as pvr makes the objects it stores
          run: () => sh(`${CURL} -K ${getList} && sync -f '${getDir}'`),
        },
      ]);
      s.kill();
      const hwm = procKiB(a.pid, "VmHWM");
      if (!resetPeak(a.pid)) hwmOk = false;
      memRow(`peak during clone ${ds.label} (${hwmOk ? "VmHWM" : "VmHWM since start"})`, hwm, 100);
      mem.push(`| peak during clone ${ds.label} (50 ms VmRSS samples) | ${mib(samplerMaxKiB(sampleFile))} | |`);
      out.push(
        throughputTable(`clone ${describe(ds)} from the agent (pvr clone, fresh PVR_CONFIG_DIR) vs curl GET from nginx (4 parallel)`, ds.bytes, { name: "pvr clone", seconds: tClone ?? null }, [
          { name: "curl nginx GET", seconds: tGet ?? null },
          { name: "curl nginx GET, then sync -f", seconds: tGetSync ?? null, reference: true },
        ]),
      );
      rmSync(cloneDir, { recursive: true, force: true });
      rmSync(cloneCfg, { recursive: true, force: true });
      rmSync(getDir, { recursive: true, force: true });
    }
    // after serving: reported, not judged against the idle target (README, "Device agent over loopback")
    Bun.sleepSync(5000);
    for (const ds of [big, small]) mem.push(`| after serving, transfers settled (agent ${ds.label}, +5 s) | ${mib(procKiB((agents[ds.label] as Agent).pid, "VmRSS"))} | (reported: pages of the executable touched while serving stay mapped) |`);
    const memOut = mem.join("\n");
    console.log(memOut);
    out.push(memOut);
  } finally {
    for (const p of procs.reverse()) p.kill();
    scratch.release();
  }
  return out;
}

function describe(ds: DataSet): string {
  return `${ds.count} files, ${(ds.bytes / MiB).toFixed(1)} MiB`;
}
