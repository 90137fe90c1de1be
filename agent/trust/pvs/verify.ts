/**
 * Verifying one pvs@2 signature against a state (spec pvr-format 12.5, 12.6): the payload is
 * recomputed from the state with the signature's own `pvs` globs (a `payload` in the file is
 * never trusted), and the detached JWS is checked with jose against the trusted keys: the
 * `--pubkey` keys, or else the x5c leaf once its chain validates against `--cacerts` for code
 * signing, or else every code-signing certificate of the pool. A failure is then classified
 * (see verdict.ts) by what can be proven: an RSA signature reveals the digest it signed, and a
 * `payload` kept in the file (or recorded by this checkout when it signed) shows what changed,
 * so an authentic signature over other entries is `stale`; a signature that only the embedded
 * (untrusted) key verifies is `untrusted`.
 */
import { constants, createPublicKey, type KeyObject, publicDecrypt, verify as nodeVerify, type X509Certificate } from "node:crypto";
import { flattenedVerify } from "jose";
import { jsonEqual } from "../../state/canonical";
import { isJsonObject, type JsonValue, parseJson } from "../../state/json";
import type { State } from "../../state/model";
import { parseX5c, poolKeys, verifyChain } from "./chain";
import { b64url, decodeProtected, fromB64url, type ProtectedHeader } from "./header";
import { type Selection, selectPayload } from "./payload";
import { PVS_SPEC } from "./sign";
import type { SigStatus } from "./verdict";

export interface SigFile {
  protected: string;
  signature: string;
  payload?: string;
}

export interface TrustAnchors {
  pubkeys?: KeyObject[];
  cacerts?: X509Certificate[];
  now?: Date;
}

export interface Verdict {
  status: Exclude<SigStatus, "tampered">;
  reason: string;
  header?: ProtectedHeader;
  selection?: Selection;
}

/** Checks the file shape, with the Go tool's messages for a missing or wrong #spec. */
export function parseSigFile(v: JsonValue | undefined): SigFile {
  if (!isJsonObject(v)) throw new Error("pvs signature is not a JSON object");
  if (!("#spec" in v)) throw new Error("pvs signature does not have a #spec element");
  if (v["#spec"] !== PVS_SPEC) throw new Error(`pvs signature must be of #spec ${PVS_SPEC}`);
  if (typeof v.protected !== "string" || typeof v.signature !== "string") throw new Error("pvs signature lacks protected or signature");
  return { protected: v.protected, signature: v.signature, payload: typeof v.payload === "string" ? v.payload : undefined };
}

const HASHES: Record<string, string> = { RS256: "sha256", ES256: "sha256", ES384: "sha384", ES512: "sha512" };

async function verifies(key: KeyObject, alg: string, sig: SigFile, payloadB64: string): Promise<boolean> {
  try {
    await flattenedVerify({ protected: sig.protected, payload: payloadB64, signature: sig.signature }, key);
    return true;
  } catch (err) {
    // jose refuses RSA keys under 2048 bits, which Go accepts: check those with node itself
    if ((err as { code?: string }).code === "ERR_JWS_SIGNATURE_VERIFICATION_FAILED" || !HASHES[alg]) return false;
    if (alg !== "RS256" || key.asymmetricKeyType !== "rsa") return false;
    const input = Buffer.from(`${sig.protected}.${payloadB64}`, "ascii");
    return nodeVerify("sha256", input, key, fromB64url(sig.signature));
  }
}

const SHA256_INFO = Buffer.from("3031300d060960864801650304020105000420", "hex");

/** True when `key` made this RS256 signature over *some* input (PKCS#1 v1.5 structure intact). */
function rsaAuthentic(key: KeyObject, alg: string, signature: string): boolean {
  if (alg !== "RS256" || key.asymmetricKeyType !== "rsa") return false;
  try {
    const em = publicDecrypt({ key, padding: constants.RSA_NO_PADDING }, fromB64url(signature));
    const tail = em.subarray(em.length - SHA256_INFO.length - 32);
    const pad = em.subarray(2, em.length - tail.length - 1);
    return em[0] === 0 && em[1] === 1 && em[em.length - tail.length - 1] === 0 && pad.every((b) => b === 0xff) && tail.subarray(0, SHA256_INFO.length).equals(SHA256_INFO);
  } catch {
    return false;
  }
}

/** The key a signature carries: its x5c leaf's, else its jwk; null when it has neither or they do not parse. */
export function embeddedKey(h: ProtectedHeader): KeyObject | null {
  try {
    if (h.x5c?.length) return (parseX5c(h.x5c)[0] as X509Certificate).publicKey;
    if (h.jwk) return createPublicKey({ key: h.jwk as never, format: "jwk" });
  } catch {}
  return null;
}

function changedKeys(signedPayload: string, sel: Selection): string[] {
  const before = parseJson(signedPayload);
  if (!isJsonObject(before)) return [];
  const keys = new Set([...Object.keys(before), ...Object.keys(sel.selected)]);
  return [...keys].filter((k) => !jsonEqual(before[k], sel.selected[k])).sort();
}

function trusted(h: ProtectedHeader, trust: TrustAnchors): { keys: KeyObject[]; problem?: string } {
  if (trust.pubkeys?.length) return { keys: trust.pubkeys };
  if (!trust.cacerts) return { keys: [], problem: "no trusted keys: give --pubkey or --cacerts" };
  if (!h.x5c?.length) {
    const keys = poolKeys(trust.cacerts, trust.now);
    return keys.length ? { keys } : { keys, problem: "no x5c chain in the signature and no code-signing certificate in --cacerts" };
  }
  const [leaf, ...rest] = parseX5c(h.x5c);
  const r = verifyChain(leaf as X509Certificate, rest, trust.cacerts, trust.now);
  return r.ok ? { keys: [r.key] } : { keys: [], problem: `x5c chain rejected: ${r.reason}` };
}

/**
 * `recorded` is the payload this checkout signed for this signature, if it kept one
 * (payloads.ts): like a `payload` in the file, it lets a failure be shown as stale, with the
 * changed entries, once it verifies.
 */
export async function verifySig(sig: SigFile, state: State, trust: TrustAnchors, recorded?: string): Promise<Verdict> {
  let header: ProtectedHeader;
  try {
    header = decodeProtected(sig.protected);
  } catch (err) {
    return { status: "invalid", reason: (err as Error).message };
  }
  const selection = selectPayload(state, header.pvs as NonNullable<ProtectedHeader["pvs"]>);
  const base = { header, selection };
  const payloadB64 = b64url(selection.payload);
  let keys: KeyObject[];
  let problem: string | undefined;
  try {
    ({ keys, problem } = trusted(header, trust));
  } catch (err) {
    return { ...base, status: "untrusted", reason: (err as Error).message };
  }
  for (const k of keys) if (await verifies(k, header.alg, sig, payloadB64)) return { ...base, status: "valid", reason: "" };
  if (keys.length === 0) return { ...base, status: "untrusted", reason: problem as string };
  const empty = selection.payload === "{}";
  const candidates = [sig.payload, recorded === undefined ? undefined : b64url(recorded)];
  for (const signed of new Set(candidates)) {
    if (signed === undefined || signed === payloadB64) continue;
    for (const k of keys) {
      if (!(await verifies(k, header.alg, sig, signed))) continue;
      const changed = changedKeys(fromB64url(signed).toString("utf8"), selection);
      return { ...base, status: empty ? "unverifiable" : "stale", reason: `covered entries changed since signing: ${changed.join(", ")}` };
    }
  }
  if (keys.some((k) => rsaAuthentic(k, header.alg, sig.signature))) {
    return { ...base, status: empty ? "unverifiable" : "stale", reason: "a trusted key signed other entries than the state now holds" };
  }
  const own = embeddedKey(header);
  if (own && (await verifies(own, header.alg, sig, payloadB64))) {
    return { ...base, status: "untrusted", reason: "it verifies only with its embedded key, which is not among the trusted keys" };
  }
  if (empty) return { ...base, status: "unverifiable", reason: "" };
  return { ...base, status: "invalid", reason: "the signature does not verify with any trusted key" };
}
