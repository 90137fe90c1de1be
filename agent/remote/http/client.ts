/**
 * The HTTP client every remote call goes through (spec pvr-format 8.1): fetch with a bearer token
 * on REST calls when one is given (never on signed URLs), TLS and proxy options, a timeout, and
 * bounded retries of transient failures (retry.ts). Failed statuses become PvrErrors that name
 * the method, URL, status and the start of the body, so a user sees what the server said.
 */
import { PvrError } from "../../errors";
import { type JsonValue, JsonSyntaxError, parseJson } from "../../state/json";
import { plainGet, plainGetUsable } from "./plain-get";
import { backoffDelay, DEFAULT_RETRY, isRetryableStatus, networkReason, parseRetryAfter, type RetryPolicy } from "./retry";
import { sleep } from "../../util/sleep";

export interface HttpOptions {
  /** Bearer token for REST calls (`-a`); signed URLs never get it. */
  token?: string;
  insecure?: boolean;
  /** Proxy URL; Bun honours HTTP(S)_PROXY by itself when this is unset. */
  proxy?: string;
  userAgent?: string;
  retry?: RetryPolicy;
  /** Longest wait for headers, or between two chunks of a body. */
  idleTimeoutMs?: number;
  /** A retry is about to happen (for progress output). */
  onRetry?: (what: string, attempt: number, reason: string, delayMs: number) => void;
  debug?: (line: string) => void;
}

export interface SendInit {
  headers?: Record<string, string>;
  /** Called once per attempt, so file bodies are re-opened for each retry. */
  body?: () => string | ReadableStream<Uint8Array> | Blob | undefined;
  /** Send the bearer token (REST endpoints; not signed URLs). */
  auth?: boolean;
  signal?: AbortSignal;
  /** false for requests that must not run twice (a revision POST): only refused connections are retried. */
  idempotent?: boolean;
}

const DEFAULT_IDLE_MS = 60_000;

export class HttpClient {
  readonly retry: RetryPolicy;
  readonly idleTimeoutMs: number;

  constructor(readonly opts: HttpOptions = {}) {
    this.retry = opts.retry ?? DEFAULT_RETRY;
    this.idleTimeoutMs = opts.idleTimeoutMs ?? DEFAULT_IDLE_MS;
  }

  /** One attempt; network failures throw as they come. */
  fetchOnce(method: string, url: string, init: SendInit = {}): Promise<Response> {
    this.opts.debug?.(`${method} ${url}`);
    return fetch(url, {
      method,
      headers: this.headersFor(init),
      body: init.body?.(),
      redirect: "follow",
      signal: init.signal ?? AbortSignal.timeout(this.idleTimeoutMs),
      proxy: this.opts.proxy,
      tls: this.opts.insecure ? { rejectUnauthorized: false } : undefined,
    } as RequestInit);
  }

  /** One GET of object bytes: over a plain socket when it can (plain-get.ts), else as fetchOnce. */
  getBulk(url: string, init: SendInit = {}): Promise<Response> {
    const u = new URL(url);
    if (!plainGetUsable(u, this.opts.proxy)) return this.fetchOnce("GET", url, init);
    this.opts.debug?.(`GET ${url}`);
    return plainGet(u, this.headersFor(init), init.signal ?? AbortSignal.timeout(this.idleTimeoutMs), () => this.fetchOnce("GET", url, init));
  }

  private headersFor(init: SendInit): Record<string, string> {
    const headers: Record<string, string> = { "User-Agent": this.opts.userAgent ?? "pvr", ...init.headers };
    if (init.auth && this.opts.token) headers.Authorization = `Bearer ${this.opts.token}`;
    return headers;
  }

  /** Sends with retries of network errors and transient statuses; returns the last response. */
  async send(method: string, url: string, init: SendInit = {}): Promise<Response> {
    for (let attempt = 1; ; attempt++) {
      let reason: string;
      let retryAfter: number | undefined;
      try {
        const res = await this.fetchOnce(method, url, init);
        if (!isRetryableStatus(res.status) || attempt >= this.retry.attempts) return res;
        reason = `HTTP ${res.status} ${res.statusText}`.trim();
        retryAfter = parseRetryAfter(res.headers.get("retry-after"));
        await res.body?.cancel().catch(() => {});
      } catch (err) {
        if (init.signal?.aborted) throw err;
        reason = networkReason(err);
        const mayRetry = init.idempotent !== false || reason === "connection refused";
        if (!mayRetry || attempt >= this.retry.attempts) throw unreachable(method, url, err, attempt);
      }
      const delay = backoffDelay(this.retry, attempt, retryAfter);
      this.opts.onRetry?.(`${method} ${url}`, attempt, reason, delay);
      await sleep(delay, init.signal);
    }
  }

  /** send(), then a PvrError unless the status is one of `ok`. */
  async expect(method: string, url: string, ok: number[], init: SendInit = {}): Promise<Response> {
    const res = await this.send(method, url, init);
    if (!ok.includes(res.status)) throw await statusError(method, url, res);
    return res;
  }

  /** GET a JSON document (200 only), parsed losslessly. */
  async getJson(url: string, what: string): Promise<JsonValue> {
    const res = await this.expect("GET", url, [200], { auth: true, headers: { Accept: "application/json" } });
    return readJsonBody(res, `${what} (${url})`);
  }
}

function unreachable(method: string, url: string, err: unknown, attempts: number): PvrError {
  const tries = attempts > 1 ? ` (${attempts} attempts)` : "";
  return PvrError.failed(`${method} ${url} failed${tries}: ${networkReason(err)}`);
}

/** A PvrError for an unexpected status, with a hint for auth statuses and the body's start. */
export async function statusError(method: string, url: string, res: Response): Promise<PvrError> {
  const text = (await res.text().catch(() => "")).trim();
  const snippet = text.length > 300 ? `${text.slice(0, 300)}…` : text;
  let msg = `${method} ${url}: HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ""}${snippet ? `: ${snippet}` : ""}`;
  if (res.status === 401 || res.status === 403) {
    msg += "\nthe remote wants authentication; Pantacor Hub login is not supported yet: pass a token with -a/--access-token";
    return new PvrError("permission", msg);
  }
  return res.status === 404 ? PvrError.notFound(msg) : PvrError.failed(msg);
}

/** The body as lossless JSON, or a badJson error naming what it was. */
export async function readJsonBody(res: Response, what: string): Promise<JsonValue> {
  const text = await res.text();
  try {
    return parseJson(text);
  } catch (err) {
    const why = err instanceof JsonSyntaxError ? err.message : (err as Error).message;
    throw PvrError.badJson(`${what}: the server did not send JSON: ${why}${text.trim() ? ` (body starts: ${JSON.stringify(text.slice(0, 80))})` : " (empty body)"}`);
  }
}
