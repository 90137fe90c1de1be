/**
 * PvrErrors with an explicit HTTP status, extra JSON body fields and response headers, for the
 * agent's answers that the generic codes in errors.ts do not cover: 409 conflict, 503 busy with
 * Retry-After, 413 too large, 405 read-only, 401 token required, 422 refused by the trust policy. The server's one error
 * middleware turns any PvrError into `{"Error": message, ...extra}`.
 */
import { type ErrorCode, PvrError } from "./errors";

export class HttpError extends PvrError {
  constructor(
    code: ErrorCode,
    message: string,
    readonly status: number,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(code, message);
  }

  override get httpStatus(): number {
    return this.status;
  }

  static conflict(m: string, extra?: Record<string, unknown>) {
    return new HttpError("failed", m, 409, extra);
  }
  /** 503 + Retry-After: one update at a time. */
  static busy(m: string, retryAfterSeconds: number) {
    return new HttpError("locked", m, 503, {}, { "Retry-After": String(retryAfterSeconds) });
  }
  static tooLarge(m: string) {
    return new HttpError("usage", m, 413);
  }
  /** pvr treats 403 as "log in", so a read-only agent refuses writes with 405. */
  /** 507, in Pantavisor's words (device.md). */
  static diskFull() {
    return new HttpError("diskFull", "Not enough disk space available", 507);
  }
  static readOnly(what: string) {
    return new HttpError("permission", `this agent is read-only (--read-only): ${what} refused`, 405, {}, { Allow: "GET, HEAD" });
  }
  static unauthorized(m: string) {
    return new HttpError("permission", m, 401, {}, { "WWW-Authenticate": 'Bearer realm="pvr-agent (pass the token with pvr -a TOKEN)"' });
  }
  /** 422: well-formed, but its content is refused (the trust policy). */
  static unprocessable(m: string, extra?: Record<string, unknown>) {
    return new HttpError("integrity", m, 422, extra);
  }
  static badRequest(m: string, extra?: Record<string, unknown>) {
    return new HttpError("usage", m, 400, extra);
  }
  static override notFound(m: string) {
    return new HttpError("notFound", m, 404);
  }
}
