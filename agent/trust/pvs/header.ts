/**
 * The JWS protected header of a pvs@2 signature, byte for byte as go-jose v3 writes it
 * (spec pvr-format 12.1, A.3): members sorted (`alg, jwk, pvs, typ, x5c`), the jwk in go-jose's
 * member order (`kty, crv, x, y` or `kty, n, e`), `pvs` as `{include, exclude}`, compact JSON with
 * Go's HTML-safe string escaping. Also base64url helpers and the decoder used by verification.
 */
import type { KeyObject } from "node:crypto";
import { goString } from "../../state/indent";
import type { PvsMatch } from "./payload";

export type PvsAlg = "RS256" | "ES256" | "ES384" | "ES512";

export interface ProtectedHeader {
  alg: string;
  jwk?: Record<string, unknown>;
  pvs?: PvsMatch;
  typ?: string;
  x5c?: string[];
}

export function b64url(data: string | Uint8Array): string {
  return Buffer.from(data).toString("base64url");
}

export function fromB64url(s: string): Buffer {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) throw new Error("not base64url");
  return Buffer.from(s, "base64url");
}

/** The public JWK members go-jose embeds, in its member order. */
export function publicJwk(key: KeyObject): [string, string][] {
  const jwk = key.export({ format: "jwk" }) as Record<string, string>;
  if (jwk.kty === "RSA") return [["kty", "RSA"], ["n", jwk.n as string], ["e", jwk.e as string]];
  if (jwk.kty === "EC") return [["kty", "EC"], ["crv", jwk.crv as string], ["x", jwk.x as string], ["y", jwk.y as string]];
  throw new Error(`Not supported key of type ${jwk.kty}`);
}

const strings = (a: string[]) => `[${a.map(goString).join(",")}]`;

/** go-jose's compact protected header JSON for a pvs signature. */
export function encodeProtected(alg: PvsAlg, publicKey: KeyObject, match: PvsMatch, x5c: string[] | null): string {
  const jwk = publicJwk(publicKey)
    .map(([k, v]) => `${goString(k)}:${goString(v)}`)
    .join(",");
  const pvs = `{"include":${strings(match.include)},"exclude":${strings(match.exclude)}}`;
  const tail = x5c && x5c.length ? `,"x5c":${strings(x5c)}` : "";
  return `{"alg":${goString(alg)},"jwk":{${jwk}},"pvs":${pvs},"typ":"PVS"${tail}}`;
}

function stringArray(v: unknown, what: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((s) => typeof s !== "string")) throw new Error(`${what} must be an array of strings`);
  return v as string[];
}

/** Decodes and checks a protected header; throws with a readable reason when malformed. */
export function decodeProtected(b64: string): ProtectedHeader {
  let h: Record<string, unknown>;
  try {
    h = JSON.parse(fromB64url(b64).toString("utf8"));
  } catch {
    throw new Error("the protected header is not base64url JSON");
  }
  if (h === null || typeof h !== "object" || Array.isArray(h)) throw new Error("the protected header is not a JSON object");
  if (typeof h.alg !== "string") throw new Error("the protected header has no alg");
  const pvs = h.pvs as Record<string, unknown> | undefined;
  if (!pvs || typeof pvs !== "object") throw new Error("the protected header has no pvs member (not a pvs signature)");
  return {
    alg: h.alg,
    jwk: h.jwk && typeof h.jwk === "object" ? (h.jwk as Record<string, unknown>) : undefined,
    pvs: { include: stringArray(pvs.include, "pvs.include"), exclude: stringArray(pvs.exclude, "pvs.exclude") },
    typ: typeof h.typ === "string" ? h.typ : undefined,
    x5c: h.x5c === undefined ? undefined : stringArray(h.x5c, "x5c"),
  };
}
