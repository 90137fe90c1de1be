/**
 * Test PKI made with the real `openssl` CLI: keys of every supported kind (PKCS#1, PKCS#8 and
 * SEC1 PEM), a root CA, an intermediate CA and leaf certificates with a chosen extended key
 * usage, so the pvs tests sign and verify with material no code of ours produced.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export function openssl(args: string[], cwd: string): string {
  const r = Bun.spawnSync(["openssl", ...args], { cwd, stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`openssl ${args.join(" ")}: ${r.stderr.toString()}`);
  return r.stdout.toString();
}

export type KeyKind = "rsa-pkcs1" | "rsa-pkcs8" | "p256-sec1" | "p384-pkcs8" | "p521-sec1";

/** Writes `<name>.pem` (private) and `<name>.pub.pem` (PUBLIC KEY) in `dir`; returns the private path. */
export function makeKey(dir: string, name: string, kind: KeyKind): string {
  const priv = join(dir, `${name}.pem`);
  if (kind === "rsa-pkcs1") openssl(["genrsa", "-traditional", "-out", priv, "2048"], dir);
  else if (kind === "rsa-pkcs8") openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", priv], dir);
  else if (kind === "p256-sec1") openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", priv], dir);
  else if (kind === "p521-sec1") openssl(["ecparam", "-name", "secp521r1", "-genkey", "-noout", "-out", priv], dir);
  else openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", priv], dir);
  openssl(["pkey", "-in", priv, "-pubout", "-out", join(dir, `${name}.pub.pem`)], dir);
  return priv;
}

/** A self-signed root CA `<name>.crt` with key `<name>.pem`. */
export function makeRoot(dir: string, name: string): string {
  const key = makeKey(dir, name, "p256-sec1");
  const crt = join(dir, `${name}.crt`);
  openssl(["req", "-new", "-x509", "-key", key, "-subj", `/CN=${name}`, "-days", "30", "-out", crt, "-extensions", "v3", "-config", cfg(dir, name)], dir);
  return crt;
}

function cfg(dir: string, name: string): string {
  const path = join(dir, `${name}.cnf`);
  writeFileSync(path, `[req]\ndistinguished_name=dn\n[dn]\n[v3]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n`);
  return path;
}

/**
 * Issues `<name>.crt` for the key `<name>.pem` (made here with `kind`) from issuer `<issuer>`.
 * `ca` makes an intermediate CA; otherwise a leaf with extended key usage `eku`.
 */
export function issue(dir: string, name: string, issuer: string, opts: { kind?: KeyKind; ca?: boolean; eku?: string; days?: number } = {}): string {
  const key = makeKey(dir, name, opts.kind ?? "rsa-pkcs8");
  const csr = join(dir, `${name}.csr`);
  openssl(["req", "-new", "-key", key, "-subj", `/CN=${name}`, "-out", csr, "-config", cfg(dir, name)], dir);
  const ext = join(dir, `${name}.ext`);
  writeFileSync(
    ext,
    opts.ca
      ? "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n"
      : `basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=${opts.eku ?? "codeSigning"}\n`,
  );
  const crt = join(dir, `${name}.crt`);
  const days = String(opts.days ?? 30);
  openssl(["x509", "-req", "-in", csr, "-CA", join(dir, `${issuer}.crt`), "-CAkey", join(dir, `${issuer}.pem`), "-CAcreateserial", "-days", days, "-extfile", ext, "-out", crt], dir);
  return crt;
}

/** Concatenates PEM files (a chain for --x5c, leaf first, or a CA bundle). */
export function bundle(dir: string, name: string, files: string[]): string {
  const out = join(dir, name);
  writeFileSync(out, files.map((f) => readFileSync(f, "utf8")).join(""));
  return out;
}
