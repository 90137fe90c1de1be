/**
 * POST /commands with pv-ctrl's 503 + Retry-After answered as asked (device.md 2.3.3): only
 * one command can be pending (Retry-After 120) and run-like commands wait for an ongoing update
 * (Retry-After 600). Retries are bounded by an attempt count and a total wait budget; a
 * Retry-After past the budget fails at once (the 503 PvCtrlError, code "locked").
 */
import { PvrError } from "../errors";
import { sleep } from "../util/sleep";
import { type PvCtrlClient, PvCtrlError } from "./pvctrl";

export interface RetryOptions {
  /** Attempts while pv-ctrl answers 503 (default 5). */
  commandAttempts?: number;
  /** Total time spent waiting on Retry-After before giving up (default 15 min). */
  maxRetryWaitMs?: number;
  /** Milliseconds per second of Retry-After (default 1000; tests shrink it). */
  retryUnitMs?: number;
}

export async function sendCommand(ctrl: PvCtrlClient, op: string, payload: string, opts: RetryOptions, signal?: AbortSignal): Promise<void> {
  // pv-ctrl takes the payload's raw token text (no unescaping): send nothing that needs escaping
  if (!/^[A-Z_]+$/.test(op) || /["\\\u0000-\u001f]/.test(payload)) {
    throw PvrError.usage(`command ${op} ${JSON.stringify(payload)}: op or payload would need JSON escaping`);
  }
  const body = `{"op":"${op}","payload":"${payload}"}`;
  const attempts = opts.commandAttempts ?? 5;
  const budget = opts.maxRetryWaitMs ?? 15 * 60_000;
  const unit = opts.retryUnitMs ?? 1000;
  let waited = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      await ctrl.request("POST", "/commands", body, signal);
      return;
    } catch (err) {
      if (!(err instanceof PvCtrlError) || err.status !== 503 || attempt >= attempts) throw err;
      const wait = Math.max(1, err.retryAfter ?? 1) * unit;
      if (waited + wait > budget) throw err;
      await sleep(wait, signal);
      waited += wait;
    }
  }
}
