/**
 * Benchmark helpers: run a shell command several times, take the median wall time, and print
 * side-by-side tables with ratios. Timings live here, never in the test suite.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

export const ROOT = join(import.meta.dir, "..", "..");
export const PVR = join(ROOT, "dist", "pvr");

export function sh(cmd: string, cwd?: string, env: Record<string, string> = {}): void {
  const r = Bun.spawnSync(["bash", "-c", cmd], { cwd, env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${cmd} failed (${r.exitCode}): ${r.stderr.toString()}`);
}

export function have(cmd: string): boolean {
  return Bun.spawnSync(["bash", "-c", `command -v ${cmd}`]).exitCode === 0;
}

/** Median seconds of `runs` timed runs of `run`, each preceded by an untimed `prepare`. */
export function timeit(runs: number, run: () => void, prepare: () => void = () => {}): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    prepare();
    const t0 = performance.now();
    run();
    times.push((performance.now() - t0) / 1000);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] as number;
}

export interface Case {
  run: () => void;
  prepare?: () => void;
}

/**
 * Median seconds of each case over `runs` rounds, the cases taking turns within a round, so a
 * slow spell of the machine (other jobs, writeback, discards) hits every tool alike.
 */
export function timeInterleaved(runs: number, cases: Case[]): number[] {
  const times: number[][] = cases.map(() => []);
  for (let i = 0; i < runs; i++) {
    cases.forEach((c, j) => {
      c.prepare?.();
      const t0 = performance.now();
      c.run();
      (times[j] as number[]).push((performance.now() - t0) / 1000);
    });
  }
  if (process.env.BENCH_VERBOSE) console.log(`  runs: ${times.map((t) => t.map((x) => x.toFixed(2)).join(" ")).join(" | ")}`);
  return times.map((t) => {
    t.sort((a, b) => a - b);
    return t[Math.floor(t.length / 2)] as number;
  });
}

export function writeFiles(dir: string, count: number, sizeOf: (i: number) => number): void {
  for (let i = 0; i < count; i++) {
    const p = join(dir, `d${String(i % 100).padStart(2, "0")}`, `f${i}.bin`);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, crypto.getRandomValues(new Uint8Array(sizeOf(i))));
  }
}

export interface Row {
  name: string;
  seconds: number | null;
  note?: string;
}

/** Prints a table with each row's time and its ratio to `base` (ours / peer). */
export function table(title: string, ours: Row, peers: Row[]): string {
  const lines = [`\n${title}`, "| tool | seconds | pvr / tool |", "|---|---|---|"];
  for (const r of [ours, ...peers]) {
    const ratio = r === ours || r.seconds === null || ours.seconds === null ? "" : (ours.seconds / r.seconds).toFixed(2);
    lines.push(`| ${r.name} | ${r.seconds === null ? `n/a (${r.note})` : r.seconds.toFixed(3)} | ${ratio} |`);
  }
  const out = lines.join("\n");
  console.log(out);
  return out;
}
