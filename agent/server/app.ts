/**
 * The hono app for `/cgi-bin/pvr` (device.md 3.3): request log, token check, thin routes that
 * parse, call an action and answer, and the one error mapping (errors.ts). Used by the agent's
 * Bun.serve and, in-process, by tests through `app.request()`.
 */
import { Hono } from "hono";
import type { AgentContext } from "../actions/context";
import { authMiddleware } from "./auth";
import { errorResponse, notFound } from "./errors";
import { BASE_PATH } from "./http";
import { metaRoutes } from "./routes/meta";
import { objectRoutes } from "./routes/objects";
import { remoteRoutes } from "./routes/remote";
import { stepRoutes } from "./routes/steps";

export function createApp(ctx: AgentContext): Hono {
  const root = new Hono({ strict: true });
  const idle = idleCollector();
  root.use("*", async (c, next) => {
    const t0 = performance.now();
    await next();
    ctx.log(`${c.req.method} ${c.req.path} ${c.res.status} ${Math.round(performance.now() - t0)}ms`);
    idle.touch();
  });
  root.onError((err) => errorResponse(err, ctx.log));
  root.notFound(notFound);

  const app = new Hono({ strict: true });
  app.use("*", authMiddleware(ctx));
  remoteRoutes(app, ctx);
  objectRoutes(app, ctx);
  stepRoutes(app, ctx);
  metaRoutes(app, ctx);
  root.route(BASE_PATH, app);
  return root;
}

/**
 * A full garbage collection once requests have stopped for a while: a transfer leaves buffers
 * and streams behind, and on a device the memory should go back to the system when the agent
 * is idle again rather than at some later allocation.
 */
function idleCollector(quietMs = 2000): { touch(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return {
    touch() {
      clearTimeout(timer);
      timer = setTimeout(() => Bun.gc(true), quietMs);
      timer.unref?.();
    },
  };
}
