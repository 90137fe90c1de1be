/**
 * `GET|PUT|DELETE /cgi-bin/pvr/user-meta[/KEY]` and `/device-meta[/KEY]`: the list as JSON
 * (object/array values raw), one value as its raw text, PUT with the raw value as body.
 */
import type { Hono } from "hono";
import type { AgentContext } from "../../actions/context";
import { deleteMeta, metaDocument, metaValue, putMeta } from "../../actions/meta";
import type { MetaKind } from "../../device/backend";
import { META_VALUE_MAX } from "../../store/meta";
import { json, jsonText, readText } from "../http";

export function metaRoutes(app: Hono, ctx: AgentContext): void {
  for (const kind of ["user", "device"] as MetaKind[]) {
    const base = `/${kind}-meta`;
    app.get(base, async (c) => jsonText(await metaDocument(ctx, kind, c.req.raw.signal)));
    app.get(`${base}/:key`, async (c) => new Response(await metaValue(ctx, kind, c.req.param("key"), c.req.raw.signal), { headers: { "Content-Type": "text/plain; charset=utf-8" } }));
    app.put(`${base}/:key`, async (c) => {
      const value = await readText(c, META_VALUE_MAX, `${kind}-meta values are at most ${META_VALUE_MAX} bytes`);
      await putMeta(ctx, kind, c.req.param("key"), value, c.req.raw.signal);
      return json({ key: c.req.param("key") });
    });
    app.delete(`${base}/:key`, async (c) => {
      await deleteMeta(ctx, kind, c.req.param("key"), c.req.raw.signal);
      return json({ key: c.req.param("key"), deleted: true });
    });
  }
}
