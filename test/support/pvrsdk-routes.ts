/**
 * The routes of the test pvr-sdk endpoint (pvrsdk-server.ts), under `/cgi-bin/pvr`, shaped as
 * device.md 3.3 proposes: `.pvrremote`, `state` (GET/PUT), `objects/<sha>` (info),
 * `objects/<sha>/blob` (GET with Range, PUT verified), `POST objects/`, `POST steps`,
 * `steps/<rev>/progress`, and `user-meta`/`device-meta` (GET, PUT, DELETE). Returns the status.
 */
import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { canonicalize } from "../../agent/state/canonical";
import { isJsonObject, parseJson } from "../../agent/state/json";
import { objectIds } from "../../agent/state/model";
import type { PvrSdkServer } from "./pvrsdk-server";

const sha256 = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): number {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(status, { "Content-Type": typeof body === "string" ? "text/plain" : "application/json", ...headers });
  res.end(text);
  return status;
}

function blob(s: PvrSdkServer, req: IncomingMessage, res: ServerResponse, sha: string): number {
  let data = s.objects.get(sha);
  if (!data) return send(res, 404, { Error: "not found" });
  if (s.faults.wrong.has(sha)) data = Buffer.alloc(data.length, 0x58);
  const m = s.faults.noRange.has(sha) ? null : /^bytes=(\d+)-$/.exec(String(req.headers.range ?? ""));
  const start = m ? Number(m[1]) : 0;
  if (start > data.length) return send(res, 416, "bad range", { "Content-Range": `bytes */${data.length}` });
  const body = data.subarray(start);
  const headers: Record<string, string> = { "Content-Length": String(body.length), "Accept-Ranges": "bytes", "Content-Type": "application/octet-stream" };
  if (m) headers["Content-Range"] = `bytes ${start}-${data.length - 1}/${data.length}`;
  res.writeHead(m ? 206 : 200, headers);
  const drop = s.faults.drop.get(sha);
  if (drop && drop.times > 0 && body.length > drop.after) {
    drop.times--;
    res.write(body.subarray(0, drop.after), () => setTimeout(() => res.socket?.destroy(), 20));
    return m ? 206 : 200;
  }
  const stall = s.faults.stall.get(sha);
  if (stall && stall.times > 0 && body.length > stall.after) {
    stall.times--;
    res.write(body.subarray(0, stall.after));
    return m ? 206 : 200;
  }
  res.end(req.method === "HEAD" ? undefined : body);
  return m ? 206 : 200;
}

async function postStep(s: PvrSdkServer, req: IncomingMessage, res: ServerResponse): Promise<number> {
  const body = await readBody(req);
  s.posts.push({ body, headers: { ...req.headers } });
  const env = parseJson(body.toString("utf8"));
  const state = isJsonObject(env) ? env.state : undefined;
  if (!isJsonObject(state)) return send(res, 400, { Error: "no state in envelope" });
  const missing = objectIds(state).filter((sha) => !s.objects.has(sha));
  if (missing.length) return send(res, 400, { Error: "missing objects", missing });
  const rev = isJsonObject(env) ? env.rev : undefined;
  const name = typeof rev === "string" ? (rev.startsWith("locals/") ? rev : `locals/${rev}`) : `locals/pvr-${++s.revisions}`;
  s.stateText = canonicalize(state);
  const answer: Record<string, unknown> = { rev: -1, revlocal: name, "state-sha": sha256(s.stateText), "trail-id": "local" };
  if (!s.omitProgressUrl) answer["progress-url"] = `${s.url}/steps/${name}/progress`;
  return send(res, 200, answer);
}

function progress(s: PvrSdkServer, res: ServerResponse, rev: string): number {
  const n = s.progressSeen.get(rev) ?? 0;
  s.progressSeen.set(rev, n + 1);
  const doc = s.progressScript[Math.min(n, s.progressScript.length - 1)];
  return send(res, 200, doc);
}

async function meta(s: PvrSdkServer, req: IncomingMessage, res: ServerResponse, kind: "user-meta" | "device-meta", key?: string): Promise<number> {
  const store = s.meta[kind];
  if (key === undefined) return send(res, 200, Object.fromEntries(store));
  if (req.method === "GET") return store.has(key) ? send(res, 200, store.get(key) as string) : send(res, 404, { Error: "not found" });
  if (req.method === "PUT") {
    store.set(key, (await readBody(req)).toString("utf8"));
    return send(res, 200, {});
  }
  if (req.method === "DELETE") return store.delete(key) ? send(res, 200, {}) : send(res, 404, { Error: "not found" });
  return send(res, 405, "method");
}

export async function handle(s: PvrSdkServer, req: IncomingMessage, res: ServerResponse, path: string): Promise<number> {
  if (!path.startsWith(s.base)) return send(res, 404, "not here");
  const p = path.slice(s.base.length);
  const method = req.method ?? "GET";
  const host = `http://${req.headers.host}${s.base}`;
  let m: RegExpExecArray | null;
  if (p === "" || p === "/") return send(res, 200, { "pvr-spec": "pvr-pantahub-1", device: "test" });
  if (p === "/.pvrremote") {
    return send(res, 200, { "pvr-spec": "pvr-pantahub-1", "json-get-url": `${host}/state`, "json-key": "state", "objects-endpoint": `${host}/objects`, "post-url": `${host}/steps`, "post-fields": ["commit-msg"], "post-fields-opt": ["rev"] });
  }
  if (p === "/state" && method === "GET") return s.stateText === undefined ? send(res, 404, { Error: "no state" }) : send(res, 200, s.stateText);
  if (p === "/state" && method === "PUT") {
    const body = await readBody(req);
    s.statePuts.push(body);
    s.stateText = canonicalize(parseJson(body.toString("utf8")));
    return send(res, 200, {});
  }
  if ((p === "/objects" || p === "/objects/") && method === "POST") {
    const o = JSON.parse((await readBody(req)).toString("utf8"));
    const info = { ...o, "signed-puturl": `${host}/objects/${o.sha256sum}/blob` };
    if (s.objects.has(o.sha256sum)) return send(res, 409, info, { "Pantahub-Object-Type": "object" });
    return send(res, 200, info);
  }
  if ((m = /^\/objects\/([0-9a-f]{64})$/.exec(p)) && method === "GET") {
    const data = s.objects.get(m[1] as string);
    if (!data) return send(res, 404, { Error: "not found" });
    return send(res, 200, { id: m[1], objectname: "", sha256sum: m[1], size: String(data.length), "signed-geturl": `${host}/objects/${m[1]}/blob` }, { "Pantahub-Object-Type": "object" });
  }
  if ((m = /^\/objects\/([0-9a-f]{64})\/blob$/.exec(p))) {
    const sha = m[1] as string;
    if (method === "GET" || method === "HEAD") return blob(s, req, res, sha);
    if (method === "PUT") {
      const body = await readBody(req);
      if (sha256(body) !== sha) return send(res, 422, { Error: "sha mismatch" });
      s.objects.set(sha, body);
      return send(res, 200, "");
    }
  }
  if (p === "/steps" && method === "POST") return postStep(s, req, res);
  if ((m = /^\/steps\/(.+)\/progress$/.exec(p))) return progress(s, res, decodeURIComponent(m[1] as string));
  if ((m = /^\/(user-meta|device-meta)(?:\/([^/]+))?$/.exec(p))) {
    return meta(s, req, res, m[1] as "user-meta" | "device-meta", m[2] === undefined ? undefined : decodeURIComponent(m[2]));
  }
  return send(res, 404, { Error: `no route ${method} ${p}` });
}
