/**
 * pvs@2 interop: the Pantavisor fixture's signatures verify with `pvr sig ls` (four valid, the
 * `_hostconfig` one unverifiable, never valid); our protected-header encoder reproduces the
 * fixture's bytes; and signatures we make with every supported key kind (RS256, ES256, ES384,
 * ES512) verify with Debian's python3-jwcrypto and with `openssl dgst -verify`, both fed a payload
 * they recompute themselves from the spec's recipe (test/tools/pvs-verify.py).
 */
import { describe, expect, test } from "bun:test";
import { createPublicKey } from "node:crypto";
import { copyFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { encodeProtected } from "../agent/trust/pvs/header";
import { FIXTURES, newRepo, pvrOk, runPvr, tmpdir } from "./helpers";
import { type KeyKind, makeKey, openssl } from "./pki";

const FIXTURE = join(FIXTURES, "pantavisor", "expected-state_after_adding_existing.json");
const PY = "/usr/bin/python3";
const VERIFY = join(import.meta.dir, "tools", "pvs-verify.py");
const HAVE_JWCRYPTO = existsSync(PY) && Bun.spawnSync([PY, "-c", "import jwcrypto"]).exitCode === 0;

const b64d = (s: string) => Buffer.from(s, "base64url");
const fixtureState = () => JSON.parse(readFileSync(FIXTURE, "utf8")) as Record<string, { protected: string }>;

/** A checkout whose committed state is the fixture, and the PEM public key of its x5c leaf. */
function fixtureRepo(): { dir: string; pub: string; leaf: string } {
  const { dir } = newRepo();
  copyFileSync(FIXTURE, join(dir, ".pvr", "json"));
  const header = JSON.parse(b64d(fixtureState()["_sigs/bsp.json"]?.protected as string).toString());
  const leaf = join(dir, "..", "leaf.pem");
  writeFileSync(leaf, `-----BEGIN CERTIFICATE-----\n${header.x5c[0].match(/.{1,64}/g).join("\n")}\n-----END CERTIFICATE-----\n`);
  const pub = join(dir, "..", "leaf.pub.pem");
  writeFileSync(pub, openssl(["x509", "-in", leaf, "-pubkey", "-noout"], dir));
  return { dir, pub, leaf };
}

describe("the Pantavisor fixture", () => {
  test("four signatures verify; _sigs/_hostconfig.json is reported unverifiable (exit 17)", () => {
    const { dir, pub } = fixtureRepo();
    const r = runPvr(dir, ["sig", "--pubkey", pub, "ls", "--skip-objects"]);
    expect(r.code).toBe(17);
    const summary = JSON.parse(r.stdout);
    for (const k of ["pvr-sdk/run.json", "awconnect/root.squashfs", "bsp/kernel.img", "pv-avahi/run.json", "#spec", "device.json"]) {
      expect(summary.protected).toContain(k);
    }
    expect(summary.excluded).toContain("_sigs/pvr-sdk.json");
    expect(summary.notseen).toContain("_sigs/_hostconfig.json");
    expect(r.stderr).toContain("_sigs/_hostconfig.json: unverifiable");
    for (const name of ["pvr-sdk", "awconnect", "bsp", "pv-avahi"]) {
      expect(pvrOk(dir, ["sig", "--pubkey", pub, "ls", "--skip-objects", name]).stderr).toBe("");
    }
    expect(runPvr(dir, ["sig", "--pubkey", pub, "ls", "--skip-objects", "_hostconfig"]).code).toBe(17);
  });

  test("an expired developer certificate as trust anchor: untrusted (exit 15), with the reason", () => {
    const { dir, leaf } = fixtureRepo();
    const r = runPvr(dir, ["sig", "--cacerts", leaf, "ls", "--skip-objects", "bsp"]);
    expect(r.code).toBe(15);
    expect(r.stderr).toContain("expired");
  });

  test.skipIf(!HAVE_JWCRYPTO)("python3-jwcrypto agrees: the same four verify, _hostconfig does not", () => {
    const { dir, pub } = fixtureRepo();
    for (const name of ["pvr-sdk", "awconnect", "bsp", "pv-avahi", "_hostconfig"]) {
      const sigPath = join(dir, "..", `${name}.sig.json`);
      writeFileSync(sigPath, JSON.stringify(fixtureState()[`_sigs/${name}.json`]));
      const py = Bun.spawnSync([PY, VERIFY, FIXTURE, sigPath, pub], { stdout: "pipe", stderr: "pipe" });
      expect(py.exitCode === 0).toBe(name !== "_hostconfig");
    }
  });

  test("the protected header encoder reproduces the fixture's bytes exactly", () => {
    for (const [key, value] of Object.entries(fixtureState())) {
      if (!key.startsWith("_sigs/")) continue;
      const h = JSON.parse(b64d(value.protected).toString());
      const pub = createPublicKey({ key: h.jwk, format: "jwk" });
      const ours = Buffer.from(encodeProtected(h.alg, pub, h.pvs, h.x5c)).toString("base64url");
      expect(ours).toBe(value.protected);
    }
  });
});

/** ECDSA raw r||s to the DER SEQUENCE openssl expects. */
function ecdsaDer(raw: Buffer): Buffer {
  const int = (b: Buffer) => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    let v = b.subarray(i);
    if ((v[0] as number) & 0x80) v = Buffer.concat([Buffer.from([0]), v]);
    return Buffer.concat([Buffer.from([0x02, v.length]), v]);
  };
  const half = raw.length / 2;
  const body = Buffer.concat([int(raw.subarray(0, half)), int(raw.subarray(half))]);
  const len = body.length < 128 ? Buffer.from([body.length]) : Buffer.from([0x81, body.length]);
  return Buffer.concat([Buffer.from([0x30]), len, body]);
}

const KINDS: [KeyKind, string, string][] = [
  ["rsa-pkcs1", "RS256", "sha256"],
  ["rsa-pkcs8", "RS256", "sha256"],
  ["p256-sec1", "ES256", "sha256"],
  ["p384-pkcs8", "ES384", "sha384"],
  ["p521-sec1", "ES512", "sha512"],
];

/** A committed checkout with part `app` signed by a fresh key of `kind` (memoised per kind). */
const made = new Map<KeyKind, { dir: string; keyDir: string; sigPath: string; state: string; sig: { protected: string; signature: string } }>();
function signedWith(kind: KeyKind) {
  const hit = made.get(kind);
  if (hit) return hit;
  const { dir } = newRepo({ "app/run.json": '{"name":"app","n":1}', "app/root.squashfs": "squash", "app/src.json": "{}", "_config/app/etc/x": "cfg", "bsp/kernel.img": "k" });
  pvrOk(dir, ["add", "."]);
  pvrOk(dir, ["commit"]);
  const keyDir = tmpdir();
  const key = makeKey(keyDir, "k", kind);
  pvrOk(dir, ["sig", "--key", key, "--x5c", "no", "add", "--part", "app"]);
  pvrOk(dir, ["add", "_sigs/app.json"]);
  pvrOk(dir, ["commit"]);
  const sigPath = join(dir, "_sigs", "app.json");
  const entry = { dir, keyDir, sigPath, state: join(dir, ".pvr", "json"), sig: JSON.parse(readFileSync(sigPath, "utf8")) };
  made.set(kind, entry);
  return entry;
}

describe("signatures we make verify elsewhere", () => {
  for (const [kind, alg, digest] of KINDS) {
    test(`${kind} → ${alg}: file and header shape; pvr and openssl dgst -verify accept it`, () => {
      const { dir, keyDir, sig, state } = signedWith(kind);
      expect(Object.keys(sig)).toEqual(["#spec", "protected", "signature"]);
      const header = JSON.parse(b64d(sig.protected).toString());
      expect(header.alg).toBe(alg);
      expect(Object.keys(header)).toEqual(["alg", "jwk", "pvs", "typ"]);
      expect(Object.keys(header.jwk)).toEqual(alg === "RS256" ? ["kty", "n", "e"] : ["kty", "crv", "x", "y"]);
      expect(header.pvs).toEqual({ include: ["app/**", "_config/app/**"], exclude: ["app/src.json", "_sigs/app.json"] });
      expect(pvrOk(dir, ["sig", "--pubkey", join(keyDir, "k.pub.pem"), "ls"]).stderr).toBe("");
      // openssl over ascii(protected + "." + b64url(payload)), the payload rebuilt by hand
      const st = JSON.parse(readFileSync(state, "utf8"));
      const sel = Object.fromEntries(["_config/app/etc/x", "app/root.squashfs", "app/run.json"].map((k) => [k, st[k]]));
      writeFileSync(join(keyDir, "input"), `${sig.protected}.${Buffer.from(JSON.stringify(sel)).toString("base64url")}`);
      const raw = b64d(sig.signature);
      writeFileSync(join(keyDir, "sig.der"), alg === "RS256" ? raw : ecdsaDer(raw));
      const out = openssl([`dgst`, `-${digest}`, "-verify", "k.pub.pem", "-signature", "sig.der", "input"], keyDir);
      expect(out.trim()).toBe("Verified OK");
    });

    test.skipIf(!HAVE_JWCRYPTO)(`${kind} → ${alg}: python3-jwcrypto accepts it (payload from the spec's recipe)`, () => {
      const { keyDir, sigPath, state } = signedWith(kind);
      const py = Bun.spawnSync([PY, VERIFY, state, sigPath, join(keyDir, "k.pub.pem")], { stdout: "pipe", stderr: "pipe" });
      expect(py.stderr.toString()).toBe("");
      expect(py.stdout.toString()).toBe(`OK ${alg} 3\n`);
    });
  }

  test("RS256 is deterministic: signing twice gives the same bytes", () => {
    const { dir } = newRepo({ "a/x": "1" });
    pvrOk(dir, ["add", "."]);
    pvrOk(dir, ["commit"]);
    const key = makeKey(tmpdir(), "k", "rsa-pkcs1");
    const one = pvrOk(dir, ["sig", "--key", key, "--x5c", "no", "--output", "-", "add", "--part", "a"]).stdout;
    const two = pvrOk(dir, ["sig", "--key", key, "--x5c", "no", "--output", "-", "add", "--part", "a"]).stdout;
    expect(one).toBe(two);
    expect(one).toBe(`${readFileSync(join(dir, "_sigs", "a.json"), "utf8")}\n`);
  });
});
