/**
 * The one place where errors become HTTP answers: every PvrError maps to its httpStatus and a
 * JSON body `{"Error": message, ...extra}` (Pantavisor's error shape, device.md 2.1) with its
 * headers (Retry-After, Allow, WWW-Authenticate). pvr starts a login on 401/403, so 403 is never
 * sent (permission problems on the device's own files become 500) and 401 only by the token
 * check. Anything unexpected is a 500 and is logged.
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { PvrError } from "../errors";
import { HttpError } from "../http-error";
import { json } from "./http";

export function errorResponse(err: unknown, log: (line: string) => void): Response {
  if (err instanceof PvrError) {
    let status = err.httpStatus;
    if (status === 403 || (status === 401 && !(err instanceof HttpError))) status = 500;
    const extra = err instanceof HttpError ? err.extra : {};
    const headers: Record<string, string> = err instanceof HttpError ? { ...err.headers } : {};
    const retryAfter = (err as { retryAfter?: unknown }).retryAfter;
    if (status === 503 && typeof retryAfter === "number" && !headers["Retry-After"]) headers["Retry-After"] = String(retryAfter);
    if (status >= 500 && status !== 503 && status !== 507) log(`error: ${err.message}`);
    return json({ Error: err.message, ...extra }, status, headers);
  }
  if (err instanceof HTTPException) {
    const status = err.status === 403 ? 400 : err.status;
    return json({ Error: err.message || "bad request" }, status);
  }
  log(`internal error: ${(err as Error)?.stack ?? String(err)}`);
  return json({ Error: `internal error: ${(err as Error)?.message ?? String(err)}` }, 500);
}

export function notFound(c: Context): Response {
  return json({ Error: `unknown endpoint: ${c.req.method} ${c.req.path}` }, 404);
}
