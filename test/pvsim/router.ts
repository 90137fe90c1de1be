/**
 * pv-ctrl's routing, as in pv:ctrl/ctrl.c (device.md 2.1): endpoints with a `{}` segment are
 * "custom" and matched against the RAW uri split on "/" (no percent-decoding, "?query" kept in
 * the segment), newest registration first; the others are exact paths matched by libevent on the
 * percent-decoded path without its query. Error bodies are `{"Error":"..."}` (application/json).
 */

export interface Ctx {
  /** The request target exactly as sent (path and query). */
  uri: string;
  method: string;
  body: Uint8Array;
  /** Content-Length as sent, or null when absent (e.g. chunked). */
  contentLength: number | null;
  headers: Headers;
}

export type Handler = (c: Ctx) => Response | Promise<Response>;

interface Endpoint {
  path: string;
  method: string;
  mgmt: boolean;
  fn: Handler;
}

/** pv_ctrl_utils_split_path: segments between slashes, empty ones skipped. */
export function split(uri: string): string[] {
  return uri.split("/").filter((s) => s !== "");
}

const REASONS: Record<number, string> = { 507: "Insufficient Storage", 422: "Unprocessable Content", 409: "Conflict" };

export function fail(status: number, message: string, headers: Record<string, string> = {}): Response {
  // a 204 cannot carry a body over HTTP: libevent drops it too
  return new Response(status === 204 ? null : JSON.stringify({ Error: message }), {
    status,
    statusText: REASONS[status],
    headers: { "Content-Type": "application/json", ...headers },
  });
}

export function ok(): Response {
  return new Response(null, { status: 200, headers: { "Content-Type": "application/json" } });
}

export function json(text: string): Response {
  return new Response(text, { status: 200, headers: { "Content-Type": "application/json" } });
}

function sameUri(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i] || s === "{}" || b[i] === "{}");
}

export class Router {
  private custom: Endpoint[] = [];
  private normal = new Map<string, Endpoint>();

  add(path: string, method: string, mgmt: boolean, fn: Handler): void {
    const e = { path, method, mgmt, fn };
    if (split(path).includes("{}")) this.custom.unshift(e);
    else this.normal.set(path, e);
  }

  /** `mgmt`: whether the (simulated) caller is a mgmt platform. */
  route(c: Ctx, mgmt: boolean): Response | Promise<Response> {
    const parts = split(c.uri);
    let err = 0;
    for (const e of this.custom) {
      if (!sameUri(parts, split(e.path))) continue;
      if (e.method !== c.method) {
        err = 1;
        continue;
      }
      if (e.mgmt && !mgmt) {
        err = 2;
        continue;
      }
      return e.fn(c);
    }
    if (err === 1) return fail(400, "Method not supported for this endpoint");
    if (err === 2) return fail(403, "Request not sent from mgmt platform");
    const rawPath = c.uri.split("?")[0] ?? "";
    let path = rawPath;
    try {
      path = decodeURIComponent(rawPath);
    } catch {
      // libevent leaves bad escapes as they are
    }
    const e = this.normal.get(path);
    if (!e) return fail(400, `unknown endpoint: ${c.uri}`);
    if (e.method !== c.method) return fail(400, "Method not supported for this endpoint");
    if (e.mgmt && !mgmt) return fail(403, "Request not sent from a mgmt platform");
    return e.fn(c);
  }
}
