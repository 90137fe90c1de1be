/**
 * The real CLI as an asynchronous child process, for tests whose HTTP server runs in the test
 * process itself (a synchronous spawn would block the event loop the server answers on).
 */
import { dirname, join } from "node:path";
import { BUN, CLI, type RunResult } from "../helpers";

/** Runs `pvr args...` in `cwd`. PVR_CONFIG_DIR defaults to `<cwd>/../.pvrcfg`; retries are fast. */
export async function pvrAsync(cwd: string, args: string[], env: Record<string, string> = {}): Promise<RunResult> {
  const proc = Bun.spawn([BUN, CLI, ...args], {
    cwd,
    env: { ...process.env, PVR_CONFIG_DIR: join(dirname(cwd), ".pvrcfg"), NO_COLOR: "1", PVR_HTTP_BACKOFF_MS: "20", PVR_WAIT_INTERVAL_MS: "50", ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

/** pvrAsync that fails the test with stderr when the command exits non-zero. */
export async function pvrAsyncOk(cwd: string, args: string[], env: Record<string, string> = {}): Promise<RunResult> {
  const r = await pvrAsync(cwd, args, env);
  if (r.code !== 0) throw new Error(`pvr ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  return r;
}
