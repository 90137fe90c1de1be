/**
 * `bun test/bench/agent.run.ts`: runs only the agent benchmark (issue 4). Builds nothing: uses
 * $PVR_BIN, else dist/pvr if present, else `bun cli/main.ts`. BENCH_DIR keeps the generated data
 * between runs (default $TMPDIR/pvr-bench); BENCH_RUNS sets the repetitions (median, default 3).
 */
import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runAgentBench } from "./agent.bench";

const work = process.env.BENCH_DIR ?? join(tmpdir(), "pvr-bench");
mkdirSync(work, { recursive: true });
console.log(`pvr agent benchmark in ${work} (median of ${process.env.BENCH_RUNS ?? 3} runs)`);
runAgentBench(work);
