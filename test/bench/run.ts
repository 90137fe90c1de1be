/**
 * `npm run bench`: builds dist/pvr and runs every benchmark under test/bench side by side with
 * its peers, printing markdown tables with ratios. BENCH_DIR keeps generated data between runs;
 * BENCH_RUNS sets the repetitions (median reported); BENCH_ONLY=engine,transfer,trust,agent
 * picks some of them. The peers (git, ostree, openssl, GNU tar, veritysetup, nginx, curl) come
 * from Debian: apt-get install ostree cryptsetup-bin nginx.
 */
import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runAgentBench } from "./agent.bench";
import { runEngineBench } from "./engine.bench";
import { ROOT, sh } from "./lib";
import { runTransferBench } from "./transfer.bench";
import { runTrustBench } from "./trust.bench";

sh(`"${process.execPath}" cross/build.ts`, ROOT);
const work = process.env.BENCH_DIR ?? join(tmpdir(), "pvr-bench");
mkdirSync(work, { recursive: true });
console.log(`pvr benchmarks in ${work} (median of ${process.env.BENCH_RUNS ?? 3} runs)`);
const only = (process.env.BENCH_ONLY ?? "engine,transfer,trust,agent").split(",");
const benches: [string, (w: string) => string[]][] = [
  ["engine", runEngineBench],
  ["transfer", runTransferBench],
  ["trust", runTrustBench],
  ["agent", runAgentBench],
];
for (const [name, run] of benches) if (only.includes(name) && !(name === "engine" && process.env.BENCH_SKIP_ENGINE)) run(work);
