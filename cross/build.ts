/**
 * Builds the single `pvr` executable with `bun build --compile`, embedding the git commit so
 * `pvr --version` names it. Usage: bun cross/build.ts [--target bun-linux-x64] [--outfile dist/pvr]
 * (never strip the result: a Bun executable carries its code after the ELF sections).
 */
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { target: { type: "string" }, outfile: { type: "string", default: "dist/pvr" } } });
const git = Bun.spawnSync(["git", "rev-parse", "--short=12", "HEAD"], { cwd: `${import.meta.dir}/..` });
const commit = git.exitCode === 0 ? git.stdout.toString().trim() : "unknown";
const args = ["build", "--compile", "--minify", "--bytecode", "--define", `PVR_COMMIT=${JSON.stringify(commit)}`];
if (values.target) args.push(`--target=${values.target}`);
// worker threads are separate entry points of the same executable
args.push(`${import.meta.dir}/../cli/main.ts`, `${import.meta.dir}/../agent/objects/install-worker.ts`, "--outfile", values.outfile as string);
const r = Bun.spawnSync([process.execPath, ...args], { stdout: "inherit", stderr: "inherit" });
process.exit(r.exitCode ?? 1);
