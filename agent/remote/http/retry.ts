/**
 * Retry policy for the remote protocol: which failures are worth another attempt, and bounded
 * exponential backoff with jitter between them (a server's `Retry-After` is honoured up to the
 * cap). Network errors, 408, 429 and 502/503/504 are transient; every other status is final.
 */

export interface RetryPolicy {
  /** Attempts in total (first try included). */
  attempts: number;
  /** First delay; doubled for each further attempt. */
  baseMs: number;
  /** No single delay is longer than this. */
  maxMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseMs: 250, maxMs: 8000 };

/** The policy with overrides from PVR_HTTP_RETRIES / PVR_HTTP_BACKOFF_MS (used by tests and slow links). */
export function retryPolicyFromEnv(env: Record<string, string | undefined>, base = DEFAULT_RETRY): RetryPolicy {
  const num = (v: string | undefined, d: number) => (v !== undefined && /^\d+$/.test(v) ? Number(v) : d);
  return {
    attempts: Math.max(1, num(env.PVR_HTTP_RETRIES, base.attempts)),
    baseMs: num(env.PVR_HTTP_BACKOFF_MS, base.baseMs),
    maxMs: base.maxMs,
  };
}

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status === 502 || status === 503 || status === 504;
}

/** Seconds or an HTTP date, in milliseconds; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : Math.max(0, t - Date.now());
}

/** The delay before attempt `attempt + 1` (attempt counts from 1). */
export function backoffDelay(policy: RetryPolicy, attempt: number, retryAfterMs?: number): number {
  const exp = policy.baseMs * 2 ** (attempt - 1);
  const jittered = exp / 2 + Math.random() * (exp / 2);
  return Math.min(policy.maxMs, Math.max(retryAfterMs ?? 0, jittered));
}

/** A short, readable reason for a fetch failure (Bun errors carry a `code`). */
export function networkReason(err: unknown): string {
  const e = err as { code?: string; message?: string; name?: string };
  if (e?.name === "TimeoutError") return /^(no data|stalled)/.test(e.message ?? "") ? `timed out: ${e.message}` : "timed out";
  if (e?.code === "ConnectionRefused" || e?.code === "ECONNREFUSED") return "connection refused";
  if (e?.code === "ECONNRESET") return "connection reset (closed unexpectedly)";
  if (e?.code) return `${e.code}${e.message ? `: ${e.message.split(". For more information")[0]}` : ""}`;
  return e?.message ?? String(err);
}

/**
 * Runs `fn` with a signal that aborts once nothing moved for `idleMs`: `fn` calls `alive()`
 * whenever bytes move. The abort reason reads "<what> <idleMs> ms" (networkReason knows it).
 */
export async function withStallTimer<T>(idleMs: number, fn: (signal: AbortSignal, alive: () => void) => Promise<T>, what: "no data for" | "stalled for" = "no data for"): Promise<T> {
  const ctrl = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const alive = () => {
    clearTimeout(timer);
    timer = setTimeout(() => ctrl.abort(new DOMException(`${what} ${idleMs} ms`, "TimeoutError")), idleMs);
  };
  alive();
  try {
    return await fn(ctrl.signal, alive);
  } finally {
    clearTimeout(timer);
    // a response `fn` did not read to its end (it threw first) is let go here, socket included
    ctrl.abort(new DOMException("the transfer ended", "AbortError"));
  }
}
