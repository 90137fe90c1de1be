/**
 * Certificate chain checks for pvs (spec pvr-format 12.5), modelled on Go's x509.Verify with
 * KeyUsages = [CodeSigning]: from the x5c leaf through the x5c intermediates to a certificate in
 * the trust pool, every signature verified, every certificate inside its validity period, every
 * intermediate a CA (pool certificates are trusted as they are, as in Go), and every certificate
 * that lists extended key usages allowing code signing (no EKU extension means any usage, as in
 * Go). Path-length and name constraints are not checked.
 */
import { type KeyObject, X509Certificate } from "node:crypto";

const CODE_SIGNING = "1.3.6.1.5.5.7.3.3";
const ANY_EKU = "2.5.29.37.0";
const MAX_DEPTH = 8;

export type ChainResult = { ok: true; key: KeyObject; chain: X509Certificate[] } | { ok: false; reason: string };

export function describeCert(c: X509Certificate): string {
  return `${c.subject.replace(/\n/g, ", ")} (issuer ${c.issuer.replace(/\n/g, ", ")})`;
}

function ekuProblem(c: X509Certificate): string | null {
  const eku = c.keyUsage as string[] | undefined;
  if (!eku || eku.length === 0 || eku.includes(CODE_SIGNING) || eku.includes(ANY_EKU)) return null;
  return `certificate ${describeCert(c)} is not valid for code signing (extended key usage ${eku.join(", ")})`;
}

function timeProblem(c: X509Certificate, now: Date): string | null {
  if (now < c.validFromDate) return `certificate ${describeCert(c)} is not valid before ${c.validFrom}`;
  if (now > c.validToDate) return `certificate ${describeCert(c)} expired on ${c.validTo}`;
  return null;
}

function issued(child: X509Certificate, parent: X509Certificate): boolean {
  try {
    return child.checkIssued(parent) && child.verify(parent.publicKey);
  } catch {
    return false;
  }
}

const same = (a: X509Certificate, b: X509Certificate) => a.raw.equals(b.raw);

/** Verifies `leaf` (plus `intermediates`) against `roots` for code signing at time `now`. */
export function verifyChain(leaf: X509Certificate, intermediates: X509Certificate[], roots: X509Certificate[], now = new Date()): ChainResult {
  let firstProblem: string | null = null;
  const note = (p: string | null) => {
    firstProblem ??= p;
    return p === null;
  };
  const extend = (chain: X509Certificate[]): X509Certificate[] | null => {
    const top = chain[chain.length - 1] as X509Certificate;
    if (roots.some((r) => same(r, top))) return chain;
    if (chain.length > MAX_DEPTH) return null;
    for (const parent of [...roots, ...intermediates]) {
      if (chain.some((c) => same(c, parent)) || !issued(top, parent)) continue;
      const isRoot = roots.some((r) => same(r, parent));
      if (!note(isRoot || parent.ca ? null : `certificate ${describeCert(parent)} is not a CA`)) continue;
      if (!note(timeProblem(parent, now)) || !note(ekuProblem(parent))) continue;
      const found = extend([...chain, parent]);
      if (found) return found;
    }
    return null;
  };
  const own = timeProblem(leaf, now) ?? ekuProblem(leaf);
  if (own) return { ok: false, reason: own };
  const chain = extend([leaf]);
  if (chain) return { ok: true, key: leaf.publicKey, chain };
  return { ok: false, reason: firstProblem ?? `certificate ${describeCert(leaf)} is signed by an unknown authority (not in --cacerts)` };
}

/** Parses the x5c header (standard base64 DER, leaf first). */
export function parseX5c(x5c: string[]): X509Certificate[] {
  return x5c.map((b64, i) => {
    try {
      return new X509Certificate(Buffer.from(b64, "base64"));
    } catch {
      throw new Error(`x5c[${i}] is not a base64 DER certificate`);
    }
  });
}

/** Without x5c: the keys of every pool certificate that itself verifies for code signing. */
export function poolKeys(roots: X509Certificate[], now = new Date()): KeyObject[] {
  return roots.filter((c) => !timeProblem(c, now) && !ekuProblem(c)).map((c) => c.publicKey);
}
