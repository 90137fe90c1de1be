/**
 * A small client for Pantavisor's pv-ctrl socket (spec device.md 2.1), over a unix socket with
 * Bun's fetch. Transport rules kept here so no caller can break them:
 * - `Host: localhost` (the URL is always http://localhost/...; any other Host makes Pantavisor
 *   drop the connection without an answer);
 * - bodies are strings or byte arrays or files, which Bun always sends with Content-Length (never
 *   chunked) — the meta and commitmsg endpoints count bytes against Content-Length;
 * - pv-ctrl splits the raw URI on "/" without percent-decoding and keeps any "?query" inside the
 *   last segment, so a path must reach the server byte for byte: `checkPath` refuses anything
 *   fetch would percent-encode or normalise, and any "?", "#" or "%";
 * - one request per connection (`keepalive: false`, `Connection: close`);
 * - error bodies `{"Error":"..."}` become a `PvCtrlError` carrying the HTTP status, the message and
 *   Retry-After; "no answer at all" (socket missing, refused, reset, timed out) is status 0.
 */
import { statSync } from "node:fs";
import { type ErrorCode, PvrError } from "../errors";

/** Where pv-ctrl lives, in the order Pantavisor's own tools probe (pvcontrol, pvtx). */
export const PVCTRL_SOCKET_CANDIDATES = ["/run/pantavisor/pv/pv-ctrl", "/pv/pv-ctrl", "/pantavisor/pv-ctrl"];

/** The first candidate that exists and is a socket, or null (for the agent's auto-detection). */
export function findPvCtrlSocket(candidates: readonly string[] = PVCTRL_SOCKET_CANDIDATES): string | null {
  for (const p of candidates) {
    try {
      if (statSync(p).isSocket()) return p;
    } catch {
      // not there: try the next one
    }
  }
  return null;
}

function codeFor(status: number, message: string): ErrorCode {
  if (status === 400) return "usage";
  if (status === 403) return "permission";
  if (status === 404) return "notFound";
  if (status === 422) return message.startsWith("Parser:") ? "badState" : "integrity";
  if (status === 503) return "locked";
  if (status === 507) return "diskFull";
  return "failed";
}

/** A pv-ctrl answer other than 2xx, or no answer at all (`status` 0). */
export class PvCtrlError extends PvrError {
  constructor(
    readonly status: number,
    /** Pantavisor's own message (the "Error" field), or the transport failure. */
    readonly detail: string,
    readonly request: string,
    readonly retryAfter?: number,
  ) {
    super(
      status === 0 ? "failed" : codeFor(status, detail),
      status === 0
        ? `pv-ctrl did not answer ${request}: ${detail} (is Pantavisor running and the socket mounted?)`
        : `pv-ctrl ${request}: ${status} ${detail}`,
    );
  }
  /** Pantavisor's own status where the agent passes it on (device.md 3.3: 422 with its message, 503, 507). */
  override get httpStatus(): number {
    return [409, 422, 503, 507].includes(this.status) ? this.status : super.httpStatus;
  }
  /** True when nothing answered: the socket is gone, refused, reset or timed out (a reboot). */
  get unreachable(): boolean {
    return this.status === 0;
  }
}

const SAFE_PATH = /^\/[A-Za-z0-9._~!$&'()*+,;=:@/-]*$/;

/** Throws unless `path` would reach pv-ctrl exactly as written (no query, no encoding, no dots). */
export function checkPath(path: string): void {
  const bad =
    !SAFE_PATH.test(path) || path.split("/").some((s) => s === "." || s === "..") || new URL(path, "http://localhost").pathname !== path;
  if (bad) {
    throw PvrError.usage(
      `pv-ctrl path ${JSON.stringify(path)} cannot be sent: pv-ctrl does not decode percent-encoding or strip query strings, ` +
        "so names and keys must use only letters, digits and ._~-!$&'()*+,;=:@",
    );
  }
}

export interface PvCtrlOptions {
  /** Per-request timeout in ms (default 60 s; 0 = none). Object uploads pass their own. */
  timeoutMs?: number;
}

export type Body = string | Uint8Array | Blob;

export class PvCtrlClient {
  readonly timeoutMs: number;
  constructor(
    readonly socketPath: string,
    opts: PvCtrlOptions = {},
  ) {
    this.timeoutMs = opts.timeoutMs ?? 60_000;
  }

  /** Sends one request; resolves with the 2xx response, throws PvCtrlError otherwise. */
  async request(method: string, path: string, body?: Body, signal?: AbortSignal, timeoutMs = this.timeoutMs): Promise<Response> {
    checkPath(path);
    const what = `${method} ${path}`;
    const signals = [signal, timeoutMs > 0 ? AbortSignal.timeout(timeoutMs) : undefined].filter((s) => s !== undefined);
    let res: Response;
    try {
      res = await fetch(`http://localhost${path}`, {
        method,
        body,
        unix: this.socketPath,
        keepalive: false,
        signal: signals.length ? AbortSignal.any(signals) : undefined,
        headers: body instanceof Blob ? { Connection: "close", "Content-Type": "application/octet-stream" } : { Connection: "close" },
      });
    } catch (err) {
      if (signal?.aborted) throw signal.reason ?? err;
      const e = err as { code?: string; name?: string; message?: string };
      throw new PvCtrlError(0, e.name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : (e.code ?? e.message ?? String(err)), what);
    }
    if (res.ok) return res;
    const text = await res.text().catch(() => "");
    let detail = text.trim() || res.statusText;
    try {
      const j = JSON.parse(text) as { Error?: unknown };
      if (typeof j?.Error === "string") detail = j.Error;
    } catch {
      // not JSON: keep the raw text
    }
    const ra = Number.parseInt(res.headers.get("retry-after") ?? "", 10);
    throw new PvCtrlError(res.status, detail, what, Number.isFinite(ra) ? ra : undefined);
  }

  async text(path: string, signal?: AbortSignal): Promise<string> {
    return (await this.request("GET", path, undefined, signal)).text();
  }

  async json<T>(path: string, signal?: AbortSignal): Promise<T> {
    const text = await this.text(path, signal);
    try {
      return JSON.parse(text) as T;
    } catch {
      throw PvrError.badJson(`pv-ctrl GET ${path} answered with invalid JSON: ${text.slice(0, 200)}`);
    }
  }

  /** GET that maps 404 to null. */
  async textOrNull(path: string, signal?: AbortSignal): Promise<string | null> {
    try {
      return await this.text(path, signal);
    } catch (err) {
      if (err instanceof PvCtrlError && err.status === 404) return null;
      throw err;
    }
  }
}
