/**
 * Readiness, remote descriptions and states: `GET|HEAD /cgi-bin/pvr`, `.pvrremote` (running
 * revision), `GET|PUT state`, and per revision `revs/<rev>/.pvrremote` + `revs/<rev>/state`
 * (also reachable as `<rev>/.pvrremote` for `0`, numbers and `locals/<name>`).
 */
import type { Context, Hono } from "hono";
import type { AgentContext } from "../../actions/context";
import { postResponse, postRevision } from "../../actions/post";
import { pvrRemote, readiness, readState } from "../../actions/remote";
import { baseUrl, json, jsonText, readJson } from "../http";

export const REV = "{(?:locals/)?[A-Za-z0-9._-]+}";

export function remoteRoutes(app: Hono, ctx: AgentContext): void {
  app.get("/", async (c) => json(await readiness(ctx, c.req.raw.signal)));
  app.get("/.pvrremote", (c) => json(pvrRemote(baseUrl(c))));
  app.get("/state", async (c) => jsonText((await readState(ctx, undefined, c.req.raw.signal)).bytes));
  // `pvr put`: install the state as a new local revision without running it.
  app.put("/state", async (c) => json(postResponse(await postRevision(ctx, { state: await readJson(c, ctx.config.maxJsonSize) }, { run: false }), baseUrl(c))));

  // The revision must exist; `current` is resolved, so the remote stays on that revision.
  const revRemote = async (c: Context) => json(pvrRemote(baseUrl(c), (await readState(ctx, c.req.param("rev"), c.req.raw.signal)).rev));
  app.get(`/revs/:rev${REV}/.pvrremote`, revRemote);
  app.get(`/revs/:rev${REV}/state`, async (c) => jsonText((await readState(ctx, c.req.param("rev"), c.req.raw.signal)).bytes));
  // Short forms: /cgi-bin/pvr/0/.pvrremote, /cgi-bin/pvr/locals/x/.pvrremote
  app.get("/:rev{(?:locals/[A-Za-z0-9._-]+|[0-9]+|current)}/.pvrremote", revRemote);
}
