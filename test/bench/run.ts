/**
 * `npm run bench`: builds dist/pvr and runs every benchmark under test/bench side by side with
 * its peers, printing markdown tables with ratios. BENCH_DIR keeps generated data between runs;
 * BENCH_RUNS sets the repetitions (median reported).
 */
import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runEngineBench } from "./engine.bench";
import { ROOT, sh } from "./lib";
import { runTransferBench } from "./transfer.bench";

sh(`"${process.execPath}" cross/build.ts`, ROOT);
const work = process.env.BENCH_DIR ?? join(tmpdir(), "pvr-bench");
mkdirSync(work, { recursive: true });
console.log(`pvr benchmarks in ${work} (median of ${process.env.BENCH_RUNS ?? 3} runs)`);
if (!process.env.BENCH_SKIP_ENGINE) runEngineBench(work);
runTransferBench(work);
