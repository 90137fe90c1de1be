/**
 * Signed blob URLs for token mode. pvr fetches `signed-geturl` and PUTs to `signed-puturl`
 * without any Authorization header, so those URLs carry `?exp=<unix seconds>&sig=<hex>` where
 * sig = HMAC-SHA256(key, "<get|put>:<sha>:<exp>") and key is derived from the token (so URLs
 * survive an agent restart and die with a token change). In open mode URLs are unsigned.
 */
import { constantTimeEqual, hmacSha256 } from "../util/digest";

export type UrlPurpose = "get" | "put";

export class UrlSigner {
  private readonly key: Buffer | null;

  constructor(
    token: string | undefined,
    readonly ttlSeconds: number,
  ) {
    this.key = token ? hmacSha256(token, "pvr-agent signed urls v1") : null;
  }

  get enabled(): boolean {
    return this.key !== null;
  }

  private mac(purpose: UrlPurpose, sha: string, exp: string): Buffer {
    return hmacSha256(this.key as Buffer, `${purpose}:${sha}:${exp}`);
  }

  /** The query string to append ("" in open mode). */
  query(purpose: UrlPurpose, sha: string, nowMs = Date.now()): string {
    if (!this.key) return "";
    const exp = String(Math.floor(nowMs / 1000) + this.ttlSeconds);
    return `?exp=${exp}&sig=${this.mac(purpose, sha, exp).toString("hex")}`;
  }

  verify(purpose: UrlPurpose, sha: string, exp: string | undefined, sig: string | undefined, nowMs = Date.now()): boolean {
    if (!this.key || !exp || !sig || !/^\d{1,12}$/.test(exp) || !/^[0-9a-f]{64}$/.test(sig)) return false;
    if (Number(exp) * 1000 < nowMs) return false;
    return constantTimeEqual(this.mac(purpose, sha, exp), Buffer.from(sig, "hex"));
  }
}
