/**
 * Objects: info (`GET objects/<sha>`), announcements (`POST objects` and `objects/`), bytes
 * (`GET|HEAD objects/<sha>/blob` with Range, ETag = sha) and uploads (`PUT objects/<sha>/blob`,
 * streamed, verified, installed atomically); and object batches (`POST objects/missing`,
 * `POST objects/fetch`, `PUT objects/store`, README "Object batches").
 */
import type { Context, Hono } from "hono";
import type { AgentContext } from "../../actions/context";
import { fetchObjects, missingObjects, storeObjects } from "../../actions/batch";
import { announceUpload, checkSha, objectInfo, objectSize } from "../../actions/objects";
import { receiveObject } from "../../actions/upload";
import { HttpError } from "../../http-error";
import { FRAMES_CONTENT_TYPE, streamOf } from "../../objects/frames";
import { baseUrl, contentLength, json, readJson } from "../http";
import { parseRange } from "../range";

const SHA = "{[0-9a-fA-F]{64}}";

export function objectRoutes(app: Hono, ctx: AgentContext): void {
  const announce = async (c: Context) => {
    const { status, body } = announceUpload(ctx, baseUrl(c), await readJson(c, ctx.config.maxJsonSize));
    return json(body, status, status === 409 ? { "Pantahub-Object-Type": "object" } : {});
  };
  app.post("/objects", announce);
  app.post("/objects/", announce);

  app.post("/objects/missing", async (c) => json(missingObjects(ctx, await readJson(c, ctx.config.maxJsonSize))));
  app.post("/objects/fetch", async (c) => {
    const frames = fetchObjects(ctx, await readJson(c, ctx.config.maxJsonSize));
    return new Response(streamOf(frames), { headers: { "Content-Type": FRAMES_CONTENT_TYPE, "Cache-Control": "no-store" } });
  });
  app.put("/objects/store", async (c) => json(await storeObjects(ctx, c.req.raw.body)));

  app.get(`/objects/:sha${SHA}`, async (c) => json(await objectInfo(ctx, baseUrl(c), c.req.param("sha"))));

  app.get(`/objects/:sha${SHA}/blob`, (c) => {
    const sha = checkSha(c.req.param("sha"));
    const size = objectSize(ctx, sha);
    if (size === null) throw HttpError.notFound(`object ${sha} is not on this device`);
    const etag = `"${sha}"`;
    const headers: Record<string, string> = {
      "Content-Type": "application/octet-stream",
      "Accept-Ranges": "bytes",
      ETag: etag,
      "Cache-Control": "public, max-age=31536000, immutable",
    };
    const ifRange = c.req.header("if-range");
    const range = ifRange === undefined || ifRange === etag ? parseRange(c.req.header("range"), size) : null;
    if (range === "unsatisfiable") return json({ Error: `range not satisfiable; object ${sha} has ${size} bytes` }, 416, { "Content-Range": `bytes */${size}` });
    const file = Bun.file(ctx.objects.path(sha));
    if (range === null) return new Response(file, { status: 200, headers: { ...headers, "Content-Length": String(size) } });
    const { start, end } = range;
    return new Response(file.slice(start, end + 1), {
      status: 206,
      headers: { ...headers, "Content-Length": String(end - start + 1), "Content-Range": `bytes ${start}-${end}/${size}` },
    });
  });

  app.put(`/objects/:sha${SHA}/blob`, async (c) => {
    const r = await receiveObject(ctx, c.req.param("sha"), c.req.raw.body, contentLength(c));
    return json({ sha256sum: r.sha, size: String(r.size), installed: r.fresh });
  });
}
