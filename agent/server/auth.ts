/**
 * Access control. Open by default (pvr treats 401/403 as "log in", device.md 3.2). With
 * `--token-file`, every request needs `Authorization: Bearer <token>` (else 401), except blob
 * URLs carrying a valid signature (`?exp&sig`, actions/signing.ts): the Go client sends no
 * auth to signed URLs, and this agent only hands them out to authenticated callers.
 */
import type { MiddlewareHandler } from "hono";
import type { AgentContext } from "../actions/context";
import { HttpError } from "../http-error";
import { constantTimeEqual } from "../util/digest";

const BLOB = /\/objects\/([0-9a-fA-F]{64})\/blob$/;

function sameToken(given: string, token: string): boolean {
  return constantTimeEqual(Buffer.from(given), Buffer.from(token));
}

export function authMiddleware(ctx: AgentContext): MiddlewareHandler {
  return async (c, next) => {
    const token = ctx.config.token;
    if (!token) return next();
    const blob = BLOB.exec(c.req.path);
    if (blob) {
      const purpose = c.req.method === "PUT" ? "put" : "get";
      if (ctx.signer.verify(purpose, (blob[1] as string).toLowerCase(), c.req.query("exp"), c.req.query("sig"))) return next();
    }
    const m = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("authorization") ?? "");
    if (!m || !sameToken(m[1] as string, token)) {
      throw HttpError.unauthorized(m ? "invalid token" : "this agent requires a token: send 'Authorization: Bearer <token>' (pvr -a <token>)");
    }
    return next();
  };
}
