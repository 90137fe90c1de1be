/**
 * Key material for pvs (spec pvr-format 12.1, 12.5): the signing key (the first PEM block whose
 * type contains `PRIVATE KEY`, tried as PKCS#1, PKCS#8, then SEC1, like Go's JwsSign), its JWS
 * algorithm (RS256, or ES256/ES384/ES512 by curve; P-521 works here, unlike the Go tool),
 * public keys for `--pubkey` (`PUBLIC KEY` blocks, PKCS#1 or PKIX) and certificate bundles.
 */
import { createPrivateKey, createPublicKey, type KeyObject, X509Certificate } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { fromSystemError, PvrError } from "../../errors";
import type { PvsAlg } from "./header";
import { SigError } from "./verdict";

export interface PemBlock {
  type: string;
  der: Buffer;
}

export function parsePem(text: string): PemBlock[] {
  const out: PemBlock[] = [];
  const re = /-----BEGIN ([^-\r\n]+)-----\r?\n([\s\S]*?)-----END \1-----/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const body = (m[2] as string).split(/\r?\n/).filter((l) => l && !l.includes(":"));
    out.push({ type: m[1] as string, der: Buffer.from(body.join(""), "base64") });
  }
  return out;
}

function readPemFile(path: string, what: string): string {
  try {
    if (statSync(path).isDirectory()) throw new SigError(12, `${what} ${path} is a directory`);
    return readFileSync(path, "utf8");
  } catch (err) {
    if (err instanceof PvrError) throw err;
    const e = fromSystemError(err, `cannot read ${what} ${path}`);
    throw new SigError(11, e.message);
  }
}

export interface SigningKey {
  key: KeyObject;
  publicKey: KeyObject;
  alg: PvsAlg;
}

const CURVES: Record<string, PvsAlg> = { prime256v1: "ES256", secp384r1: "ES384", secp521r1: "ES512" };

export function algFor(key: KeyObject): PvsAlg {
  if (key.asymmetricKeyType === "rsa") return "RS256";
  if (key.asymmetricKeyType === "ec") {
    const curve = key.asymmetricKeyDetails?.namedCurve ?? "";
    const alg = CURVES[curve];
    if (alg) return alg;
    throw PvrError.usage(`Private key with unsupported curve ${curve}; use P-256, P-384 or P-521`);
  }
  throw PvrError.usage(`Not supported priv key of type ${key.asymmetricKeyType}; use an RSA or ECDSA (P-256, P-384, P-521) key`);
}

export function loadSigningKey(path: string): SigningKey {
  const block = parsePem(readPemFile(path, "signing key")).find((b) => b.type.includes("PRIVATE KEY"));
  if (!block) throw PvrError.usage(`No valid PEM encoded sign key found in ${path}`);
  if (block.type.includes("ENCRYPTED")) throw PvrError.usage(`${path}: encrypted private keys are not supported; decrypt it with openssl first`);
  for (const type of ["pkcs1", "pkcs8", "sec1"] as const) {
    try {
      const key = createPrivateKey({ key: block.der, format: "der", type });
      return { key, publicKey: createPublicKey(key), alg: algFor(key) };
    } catch (err) {
      if (err instanceof PvrError) throw err;
    }
  }
  throw PvrError.usage(`${path}: the ${block.type} block is not a PKCS#1, PKCS#8 or SEC1 private key`);
}

/** Public keys from `PUBLIC KEY` (and `RSA PUBLIC KEY`) blocks; other blocks are reported via `warn`. */
export function loadPublicKeys(path: string, warn: (msg: string) => void): KeyObject[] {
  const keys: KeyObject[] = [];
  for (const b of parsePem(readPemFile(path, "public key file"))) {
    if (!/^(RSA )?PUBLIC /.test(b.type)) {
      warn(`warning: ${path}: skipping a ${b.type} block (only PUBLIC KEY blocks are used)`);
      continue;
    }
    let key: KeyObject | undefined;
    for (const type of ["pkcs1", "spki"] as const) {
      try {
        key = createPublicKey({ key: b.der, format: "der", type });
        break;
      } catch {}
    }
    if (key && (key.asymmetricKeyType === "rsa" || key.asymmetricKeyType === "ec")) keys.push(key);
    else warn(`warning: ${path}: skipping a ${b.type} block that is not an RSA or ECDSA public key`);
  }
  return keys;
}

export function loadCertificates(path: string, what = "certificate file"): X509Certificate[] {
  const out: X509Certificate[] = [];
  for (const b of parsePem(readPemFile(path, what))) {
    if (b.type !== "CERTIFICATE") continue;
    try {
      out.push(new X509Certificate(b.der));
    } catch {
      throw PvrError.badJson(`${path}: a CERTIFICATE block does not parse as X.509`);
    }
  }
  return out;
}

/** The x5c header value: standard base64 DER certificates, file order (leaf first). */
export function loadX5c(path: string): string[] {
  return parsePem(readPemFile(path, "x5c certificate chain"))
    .filter((b) => b.type === "CERTIFICATE")
    .map((b) => b.der.toString("base64"));
}
