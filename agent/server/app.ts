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
  root.use("*", async (c, next) => {
    const t0 = performance.now();
    await next();
    ctx.log(`${c.req.method} ${c.req.path} ${c.res.status} ${Math.round(performance.now() - t0)}ms`);
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
