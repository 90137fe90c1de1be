/**
 * `pvr sig` trust checks end to end with an openssl-made PKI (root CA, intermediate, CodeSigning
 * leaf): a valid x5c chain passes `--cacerts`; a wrong chain, a leaf without CodeSigning, a
 * tampered object, an uncovered new entry, a stale signature, a corrupt signature and a foreign
 * key are each reported with their own exit code (agent/trust/pvs/verdict.ts).
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { newRepo, pvrOk, runPvr, tmpdir, writeTree } from "./helpers";
import { bundle, issue, makeKey, makeRoot } from "./pki";

let pki: string;
let chain: string;
beforeAll(() => {
  pki = tmpdir("pvr-pki-");
  makeRoot(pki, "root");
  issue(pki, "inter", "root", { ca: true, kind: "p256-sec1" });
  issue(pki, "leaf", "inter");
  issue(pki, "web", "inter", { eku: "serverAuth" });
  makeRoot(pki, "other");
  chain = bundle(pki, "chain.pem", [join(pki, "leaf.crt"), join(pki, "inter.crt")]);
  bundle(pki, "webchain.pem", [join(pki, "web.crt"), join(pki, "inter.crt")]);
});

const FILES = { "app/run.json": '{"name":"app"}', "app/root.squashfs": "squash v1", "app/src.json": "{}", "bsp/kernel.img": "kernel" };

/** A committed checkout with `app` signed by `signArgs` and the signature committed. */
function signed(signArgs: string[], addArgs: string[] = ["--part", "app"], files: Record<string, string> = FILES) {
  const repo = newRepo(files);
  pvrOk(repo.dir, ["add", "."]);
  pvrOk(repo.dir, ["commit"]);
  pvrOk(repo.dir, ["sig", ...signArgs, "add", ...addArgs]);
  pvrOk(repo.dir, ["add", "_sigs"]);
  pvrOk(repo.dir, ["commit"]);
  return repo;
}
const withChain = () => ["--key", join(pki, "leaf.pem"), "--x5c", chain];
const ls = (dir: string, trust: string[], ...args: string[]) => runPvr(dir, ["sig", ...trust, "ls", ...args]);

describe("x5c chains against --cacerts", () => {
  test("root → intermediate → CodeSigning leaf validates", () => {
    const { dir } = signed(withChain());
    const sig = JSON.parse(readFileSync(join(dir, "_sigs", "app.json"), "utf8"));
    const header = JSON.parse(Buffer.from(sig.protected, "base64url").toString());
    expect(Object.keys(header)).toEqual(["alg", "jwk", "pvs", "typ", "x5c"]);
    expect(header.x5c).toHaveLength(2);
    expect(header.x5c[0]).toMatch(/^[A-Za-z0-9+/]+=*$/);
    const r = ls(dir, ["--cacerts", join(pki, "root.crt")]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).protected).toEqual(["app/root.squashfs", "app/run.json"]);
  });

  test("--cacerts _system_ reads the OS bundle ($SSL_CERT_FILE first)", () => {
    const { dir } = signed(withChain());
    expect(runPvr(dir, ["sig", "--cacerts", "_system_", "ls"], { SSL_CERT_FILE: join(pki, "root.crt") }).code).toBe(0);
    const r = runPvr(dir, ["sig", "--cacerts", "_system_", "ls"], { SSL_CERT_FILE: "" });
    const bundled = ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"].some(existsSync);
    expect(r.code).toBe(bundled ? 15 : 12); // our test root is not in the distribution's bundle
  });

  test("a chain to another root is untrusted (15)", () => {
    const { dir } = signed(withChain());
    const r = ls(dir, ["--cacerts", join(pki, "other.crt")]);
    expect(r.code).toBe(15);
    expect(r.stderr).toContain("_sigs/app.json: untrusted: x5c chain rejected");
    expect(r.stderr).toContain("unknown authority");
  });

  test("an x5c without its intermediate is untrusted (15); the intermediate in --cacerts fixes it", () => {
    const { dir } = signed(["--key", join(pki, "leaf.pem"), "--x5c", join(pki, "leaf.crt")]);
    expect(ls(dir, ["--cacerts", join(pki, "root.crt")]).code).toBe(15);
    expect(ls(dir, ["--cacerts", join(pki, "inter.crt")]).code).toBe(0);
  });

  test("a leaf without CodeSigning is untrusted (15)", () => {
    const { dir } = signed(["--key", join(pki, "web.pem"), "--x5c", join(pki, "webchain.pem")]);
    const r = ls(dir, ["--cacerts", join(pki, "root.crt")]);
    expect(r.code).toBe(15);
    expect(r.stderr).toContain("not valid for code signing");
  });

  test("an x5c that does not belong to the key is refused at signing time", () => {
    const { dir } = newRepo(FILES);
    pvrOk(dir, ["add", "."]);
    pvrOk(dir, ["commit"]);
    const r = runPvr(dir, ["sig", "--key", join(pki, "web.pem"), "--x5c", chain, "add", "--part", "app"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("does not belong to the signing key");
  });
});

describe("problems, each with its exit code", () => {
  test("tampered: a covered object's bytes changed in the store (16)", () => {
    const { dir, objects } = signed(withChain());
    const sha = JSON.parse(readFileSync(join(dir, ".pvr", "json"), "utf8"))["app/root.squashfs"];
    writeFileSync(join(objects, sha), "evil");
    const r = ls(dir, ["--cacerts", join(pki, "root.crt")]);
    expect(r.code).toBe(16);
    expect(r.stderr).toContain("app/root.squashfs: tampered");
    expect(ls(dir, ["--cacerts", join(pki, "root.crt")], "--skip-objects").code).toBe(0);
  });

  test("uncovered: a new entry in a signed part that no glob covers (18)", () => {
    const { dir } = signed(withChain(), ["--part", "app", "--include", "*.json", "--include", "*.squashfs"]);
    writeTree(dir, { "app/etc/new.conf": "new" });
    pvrOk(dir, ["add", "app/etc/new.conf"]);
    pvrOk(dir, ["commit"]);
    const r = ls(dir, ["--cacerts", join(pki, "root.crt")]);
    expect(r.code).toBe(18);
    expect(r.stderr).toContain("app/etc/new.conf: uncovered");
    expect(JSON.parse(r.stdout).notseen).toContain("app/etc/new.conf");
  });

  test("stale: a covered entry changed and was committed without re-signing (17), then sig update fixes it", () => {
    const { dir } = signed(withChain());
    writeTree(dir, { "app/run.json": '{"name":"app","changed":true}' });
    pvrOk(dir, ["commit"]);
    const r = ls(dir, ["--cacerts", join(pki, "root.crt")]);
    expect(r.code).toBe(17);
    expect(r.stderr).toContain("_sigs/app.json: stale");
    expect(r.stderr).toContain("pvr sig update");
    const up = pvrOk(dir, ["sig", ...withChain(), "--output", "-", "update", "app"]);
    expect(up.stdout).toBe(`${readFileSync(join(dir, "_sigs", "app.json"), "utf8")}\n`);
    expect(up.stderr).toContain("Updating pvs signature @ _sigs/app.json [DONE]");
    pvrOk(dir, ["commit"]);
    expect(ls(dir, ["--cacerts", join(pki, "root.crt")]).code).toBe(0);
  });

  test("stale with --with-payload (ES256) names the changed entries", () => {
    const key = makeKey(pki, "es", "p256-sec1");
    const { dir } = signed(["--key", key, "--x5c", "no", "--with-payload"]);
    writeTree(dir, { "app/root.squashfs": "squash v2" });
    pvrOk(dir, ["commit"]);
    const r = ls(dir, ["--pubkey", join(pki, "es.pub.pem")]);
    expect(r.code).toBe(17);
    expect(r.stderr).toContain("covered entries changed since signing: app/root.squashfs");
  });

  test("invalid: a corrupted signature (13)", () => {
    const { dir } = signed(withChain());
    const p = join(dir, "_sigs", "app.json");
    const sig = JSON.parse(readFileSync(p, "utf8"));
    sig.signature = `${sig.signature[0] === "A" ? "B" : "A"}${sig.signature.slice(1)}`;
    writeFileSync(p, JSON.stringify(sig));
    const r = ls(dir, ["--cacerts", join(pki, "root.crt")]);
    expect(r.code).toBe(13);
    expect(r.stderr).toContain("_sigs/app.json: invalid");
  });

  test("untrusted: verified with another --pubkey than the signer's (15)", () => {
    const { dir } = signed(withChain());
    const r = ls(dir, ["--pubkey", join(pki, "web.pub.pem")]);
    expect(r.code).toBe(15);
    expect(r.stderr).toContain("embedded key");
  });

  test("several problems: the most severe decides the exit code", () => {
    const { dir } = signed(withChain());
    writeTree(dir, { "app/run.json": '{"v":2}' });
    pvrOk(dir, ["commit"]);
    expect(ls(dir, ["--cacerts", join(pki, "other.crt")]).code).toBe(15);
  });
});
