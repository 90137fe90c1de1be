/**
 * Revisions: `POST steps` (the post envelope: install and run), `GET steps` (list),
 * `GET steps/<rev>` (one entry), `GET steps/<rev>/progress` (Pantavisor's progress JSON) and
 * `GET steps/<rev>/progress/events` (Server-Sent Events, one `progress` event per change, the
 * stream ends once the status is final).
 */
import type { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import type { AgentContext } from "../../actions/context";
import { postResponse, postRevision } from "../../actions/post";
import { listRevisions, progressOf, revisionInfo, watchProgress } from "../../actions/progress";
import { baseUrl, json, readJson } from "../http";
import { REV } from "./remote";

export function stepRoutes(app: Hono, ctx: AgentContext): void {
  app.post("/steps", async (c) => {
    const envelope = await readJson(c, ctx.config.maxJsonSize);
    return json(postResponse(await postRevision(ctx, envelope), baseUrl(c)));
  });
  app.get("/steps", async (c) => json(await listRevisions(ctx, c.req.raw.signal)));
  app.get(`/steps/:rev${REV}`, async (c) => json(await revisionInfo(ctx, c.req.param("rev"), c.req.raw.signal)));
  app.get(`/steps/:rev${REV}/progress`, async (c) => json(await progressOf(ctx, c.req.param("rev"), c.req.raw.signal)));
  app.get(`/steps/:rev${REV}/progress/events`, async (c) => {
    const rev = c.req.param("rev");
    await progressOf(ctx, rev, c.req.raw.signal); // 404 before the stream starts
    return streamSSE(c, async (stream) => {
      const stop = new AbortController();
      stream.onAbort(() => stop.abort());
      const ping = setInterval(() => void stream.write(": ping\n\n").catch(() => stop.abort()), 15_000);
      try {
        let id = 0;
        for await (const p of watchProgress(ctx, rev, stop.signal)) {
          await stream.writeSSE({ event: "progress", data: JSON.stringify(p), id: String(++id) });
        }
      } finally {
        clearInterval(ping);
      }
    });
  });
}
