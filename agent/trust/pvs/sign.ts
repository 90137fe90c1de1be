/**
 * Making a pvs@2 signature (spec pvr-format 12.1, 12.2, A.3): select the pristine entries, build
 * go-jose's protected header, sign `b64url(protected) + "." + b64url(payload)` (RS256 =
 * RSASSA-PKCS1-v1_5/SHA-256; ES* = raw r||s), and write the detached-payload flattened JWS as
 * canonical `{"#spec":"pvs@2","protected":…,"signature":…}` (plus `payload` on request).
 */
import { sign, X509Certificate } from "node:crypto";
import { PvrError } from "../../errors";
import { canonicalize } from "../../state/canonical";
import { newObject } from "../../state/json";
import type { State } from "../../state/model";
import { b64url, encodeProtected, type PvsAlg } from "./header";
import type { SigningKey } from "./keys";
import { type PvsMatch, type Selection, selectPayload } from "./payload";

export const PVS_SPEC = "pvs@2";

const HASH: Record<PvsAlg, string> = { RS256: "sha256", ES256: "sha256", ES384: "sha384", ES512: "sha512" };

export interface Signed {
  /** the file bytes of `_sigs/<name>.json` */
  file: string;
  protected: string;
  signature: string;
  selection: Selection;
}

/** Signs raw bytes with the JWS algorithm (ECDSA as fixed-width r||s, not DER). */
export function jwsSign(alg: PvsAlg, key: SigningKey["key"], input: string): Buffer {
  return sign(HASH[alg], Buffer.from(input, "ascii"), { key, dsaEncoding: "ieee-p1363" });
}

/** Fails when the x5c leaf certificate does not hold the signing key's public key. */
export function checkLeafMatchesKey(x5c: string[], key: SigningKey): void {
  if (x5c.length === 0) return;
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(Buffer.from(x5c[0] as string, "base64"));
  } catch {
    throw PvrError.usage("the first certificate of the x5c chain does not parse");
  }
  const a = leaf.publicKey.export({ format: "der", type: "spki" });
  const b = key.publicKey.export({ format: "der", type: "spki" });
  if (!a.equals(b)) {
    throw PvrError.usage(
      `the x5c leaf certificate (${leaf.subject.replace(/\n/g, ", ")}) does not belong to the signing key; give the matching --x5c, or --x5c no`,
    );
  }
}

export function signPvs(state: State, match: PvsMatch, key: SigningKey, opts: { x5c?: string[]; withPayload?: boolean } = {}): Signed {
  const selection = selectPayload(state, match);
  const protectedB64 = b64url(encodeProtected(key.alg, key.publicKey, match, opts.x5c ?? null));
  const payloadB64 = b64url(selection.payload);
  const signature = jwsSign(key.alg, key.key, `${protectedB64}.${payloadB64}`).toString("base64url");
  const file = newObject();
  file["#spec"] = PVS_SPEC;
  if (opts.withPayload) file.payload = payloadB64;
  file.protected = protectedB64;
  file.signature = signature;
  return { file: canonicalize(file), protected: protectedB64, signature, selection };
}
