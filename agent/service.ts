/**
 * `pvr agent` as a running service: open the database and the object store under the storage
 * root, start the device backend (the standalone one creates revision 0), resume following
 * unfinished updates, and serve the hono app with Bun.serve. stop() is the graceful shutdown:
 * stop accepting, let a running transition finish (bounded), close the backend and database.
 */
import type { Hono } from "hono";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { type AgentContext, createContext } from "./actions/context";
import type { AgentConfig } from "./config";
import { createBackend } from "./device/select";
import { fromSystemError } from "./errors";
import { formatHostPort } from "./listen";
import { ObjectStore } from "./objects/store";
import { createApp } from "./server/app";
import { BASE_PATH } from "./server/http";
import { writeLine } from "./util/log-line";
import { AgentStore } from "./store";

export interface RunningAgent {
  ctx: AgentContext;
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** Waits for `p`, at most `ms` (the timer does not keep the process alive afterwards). */
export async function within(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([p.catch(() => {}), new Promise((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}

export function stderrLog(line: string): void {
  writeLine(2, `${new Date().toISOString()} ${line}\n`);
}

/** ", trust policy: ..." for the startup line, or ", trust: report only". */
function trustNote(cfg: AgentConfig): string {
  const { enforce, policy: p } = cfg.trust;
  if (!enforce) return ", trust: report only";
  const anchors = p.trustedKeys ? `${p.trustedKeys.length} trusted keys` : p.cacerts ? `${p.cacerts.length} CA certificates` : "no trust anchors";
  return `, trust policy: ${p.requireSignatures ? "signatures required" : "signatures checked"} against ${anchors}, verity ${p.verity}`;
}

/** Everything but the listening socket: storage, database, backend, context and app. */
export async function openAgent(cfg: AgentConfig, log: (line: string) => void = stderrLog): Promise<{ ctx: AgentContext; app: Hono }> {
  for (const d of [cfg.storage, join(cfg.storage, "objects"), join(cfg.storage, "trails")]) {
    try {
      mkdirSync(d, { recursive: true, mode: 0o755 });
    } catch (err) {
      throw fromSystemError(err, `cannot create ${d}`);
    }
  }
  const store = AgentStore.open(cfg.db);
  const objects = new ObjectStore(join(cfg.storage, "objects"));
  objects.ensureDir();
  objects.cleanStaleTemps();
  store.uploads.expire(new Date(Date.now() - 24 * 3600_000).toISOString());
  const backend = createBackend(cfg, store, objects, log);
  try {
    await backend.init?.();
  } catch (err) {
    store.close();
    throw err;
  }
  const ctx = createContext(cfg, store, objects, backend, log);
  ctx.tracker.resume();
  return { ctx, app: createApp(ctx) };
}

/** Closes what openAgent opened (without a server). */
export async function closeAgent(ctx: AgentContext): Promise<void> {
  ctx.tracker.stop();
  await ctx.runner.idle(20_000);
  ctx.runner.abort();
  await ctx.backend.close?.();
  ctx.store.events.add("stop", "");
  ctx.store.close();
}

export async function startAgent(cfg: AgentConfig, log: (line: string) => void = stderrLog): Promise<RunningAgent> {
  const { ctx, app } = await openAgent(cfg, log);
  let server: ReturnType<typeof Bun.serve>;
  try {
    server = Bun.serve({
      hostname: cfg.listen.host,
      port: cfg.listen.port,
      fetch: (req) => app.fetch(req),
      // Objects stream through; the actions enforce --max-object-size and --max-json-size.
      maxRequestBodySize: Number.MAX_SAFE_INTEGER,
      idleTimeout: 60,
    });
  } catch (err) {
    await closeAgent(ctx);
    throw fromSystemError(err, `cannot listen on ${formatHostPort(cfg.listen.host, cfg.listen.port)}`);
  }
  const port = server.port ?? cfg.listen.port;
  const url = `http://${formatHostPort(cfg.listen.host, port)}${BASE_PATH}`;
  ctx.store.events.add("start", `${ctx.backend.kind} ${url}`);
  const access = cfg.token ? "token required" : "open access";
  log(`pvr agent listening on ${url} (backend ${ctx.backend.kind}, storage ${cfg.storage}, ${access}${cfg.readOnly ? ", read-only" : ""}${trustNote(cfg)})`);
  Bun.gc(true); // start-up garbage (config, migrations, the factory revision) goes before the agent idles

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      log("pvr agent stopping");
      const closing = server.stop(false);
      ctx.tracker.stop();
      await ctx.runner.idle(20_000);
      await within(closing, 2_000);
      server.stop(true);
      await closeAgent(ctx);
    })());
  return { ctx, url, port, stop };
}
