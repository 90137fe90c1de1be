/**
 * What commands that talk to HTTP remotes share: the `--jobs` flag, the HTTP client built from
 * the global options (-a token, --insecure, --http-proxy, PVR_HTTP_RETRIES/PVR_HTTP_BACKOFF_MS,
 * PVR_HTTP_TIMEOUT seconds), and the progress reporter for transfers.
 */
import type { FlagSpec, FlagValues } from "./args";
import type { Context } from "./context";
import { HttpClient } from "../agent/remote/http/client";
import { parseJobs } from "../agent/remote/http/pool";
import { retryPolicyFromEnv } from "../agent/remote/http/retry";
import { TransferProgress } from "./progress";
import { versionString } from "./version";

export const JOBS_FLAG: FlagSpec = {
  name: "jobs",
  aliases: ["j"],
  type: "string",
  env: "PVR_JOBS",
  value: "N",
  description: "objects transferred in parallel with HTTP remotes (default: 4)",
};

export function jobsFrom(flags: FlagValues): number {
  return parseJobs(flags.jobs as string | undefined);
}

export function httpClient(ctx: Context, progress?: TransferProgress): HttpClient {
  const proxy = ctx.remote.httpProxy;
  const timeout = Number(ctx.env.PVR_HTTP_TIMEOUT);
  return new HttpClient({
    token: ctx.remote.accessToken,
    insecure: ctx.remote.insecure,
    proxy: proxy && proxy !== "system" && proxy !== "no" ? proxy : undefined,
    userAgent: versionString().replace(/^pvr version /, "pvr/").replace(/ \(.*$/, ""),
    retry: retryPolicyFromEnv(ctx.env),
    idleTimeoutMs: timeout > 0 ? timeout * 1000 : undefined,
    onRetry: (what, attempt, reason, delay) => {
      const line = `${what}: ${reason}; retrying in ${(delay / 1000).toFixed(1)} s (attempt ${attempt + 1})`;
      if (progress) progress.line(line);
      else ctx.err(`${line}\n`);
    },
    debug: ctx.debug ? (l) => (progress ? progress.line(l) : ctx.err(`${l}\n`)) : undefined,
  });
}

/** A progress reporter and an HTTP client that prints its retries through it. */
export function remoteKit(ctx: Context, verb: string): { http: HttpClient; progress: TransferProgress } {
  const progress = new TransferProgress(ctx, verb);
  return { http: httpClient(ctx, progress), progress };
}
