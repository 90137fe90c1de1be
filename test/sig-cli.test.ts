/**
 * `pvr sig` command behaviour and the Go tool's pvs bugs we fix (spec pvr-format 17.2 item 11):
 * raw signatures exclude their own file, `--output` truncates, `update --output -` writes to
 * stdout, `--with-payload` is base64url everywhere, confirmation needs an explicit yes, and the
 * spec's exit codes for usage errors, missing signatures and bad patterns.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isYes } from "../agent/trust/pvs/config";
import { newRepo, pvrOk, runPvr, tmpdir } from "./helpers";
import { makeKey } from "./pki";

function committed(files: Record<string, string> = { "app/run.json": '{"a":"<&>"}', "app/bin": "b", "top.txt": "t" }) {
  const { dir } = newRepo(files);
  pvrOk(dir, ["add", "."]);
  pvrOk(dir, ["commit"]);
  const keys = tmpdir();
  return { dir, key: makeKey(keys, "k", "p256-sec1"), pub: join(keys, "k.pub.pem"), keys };
}

describe("fixed Go bugs", () => {
  test("raw mode excludes _sigs/<name>.json, so a raw signature over ** survives its own commit", () => {
    const { dir, key, pub } = committed();
    pvrOk(dir, ["sig", "--key", key, "--x5c", "no", "add", "--raw", "all"]);
    const sig = JSON.parse(readFileSync(join(dir, "_sigs", "all.json"), "utf8"));
    const header = JSON.parse(Buffer.from(sig.protected, "base64url").toString());
    expect(header.pvs).toEqual({ include: ["**"], exclude: ["src.json", "_sigs/all.json"] });
    pvrOk(dir, ["add", "_sigs/all.json"]);
    pvrOk(dir, ["commit"]);
    const r = pvrOk(dir, ["sig", "--pubkey", pub, "ls"]);
    expect(JSON.parse(r.stdout)).toEqual({ protected: ["#spec", "app/bin", "app/run.json", "top.txt"], excluded: ["_sigs/all.json"] });
  });

  test("--output truncates an existing file; update --output - writes stdout", () => {
    const { dir, key } = committed();
    const out = join(dir, "..", "sig.out");
    writeFileSync(out, "x".repeat(5000));
    pvrOk(dir, ["sig", "--key", key, "--x5c", "no", "--output", out, "add", "--part", "app"]);
    expect(readFileSync(out, "utf8")).toBe(readFileSync(join(dir, "_sigs", "app.json"), "utf8"));
    pvrOk(dir, ["add", "_sigs"]);
    pvrOk(dir, ["commit"]);
    const up = pvrOk(dir, ["sig", "--key", key, "--x5c", "no", "--output", "-", "up"]);
    expect(existsSync(join(dir, "-"))).toBe(false);
    expect(JSON.parse(up.stdout)["#spec"]).toBe("pvs@2");
  });

  test("--with-payload keeps a base64url payload, in the file and in ls --with-sigs", () => {
    const { dir, key, pub } = committed();
    pvrOk(dir, ["sig", "--key", key, "--x5c", "no", "--with-payload", "add", "--part", "app"]);
    const sig = JSON.parse(readFileSync(join(dir, "_sigs", "app.json"), "utf8"));
    expect(Object.keys(sig)).toEqual(["#spec", "payload", "protected", "signature"]);
    const state = JSON.parse(readFileSync(join(dir, ".pvr", "json"), "utf8"));
    const payload = `{"app/bin":"${state["app/bin"]}","app/run.json":{"a":"<&>"}}`;
    expect(Buffer.from(sig.payload, "base64url").toString()).toBe(payload);
    pvrOk(dir, ["add", "_sigs"]);
    pvrOk(dir, ["commit"]);
    const r = pvrOk(dir, ["sig", "--pubkey", pub, "--with-payload", "ls", "--with-sigs"]);
    const shown = JSON.parse(r.stdout).sigs[0];
    expect(Object.keys(shown)).toEqual(["payload", "protected", "signature"]);
    expect(shown.payload).toBe(Buffer.from(payload).toString("base64url"));
    expect(r.stdout).toContain('\n    "sigs": [\n        {\n            "payload": ');
  });

  test("confirmation needs an explicit yes", () => {
    for (const yes of ["y", "Y", "yes", "YES", " yes "]) expect(isYes(yes)).toBe(true);
    for (const no of ["no", "nay", "maybe yes", "yess", "", null]) expect(isYes(no)).toBe(false);
  });

  test("without a terminal a missing default key is an error naming the flag, not a prompt", () => {
    const { dir } = committed();
    const r = runPvr(dir, ["sig", "add", "--part", "app"]);
    expect(r.code).toBe(12);
    expect(r.stderr).toContain("key.default.pem does not exist; give --key");
  });
});

describe("exit codes and errors", () => {
  test("add usage errors exit 5 before any key is read", () => {
    const { dir } = committed();
    expect(runPvr(dir, ["sig", "add"]).stderr).toContain("no part nor raw name provided");
    expect(runPvr(dir, ["sig", "add"]).code).toBe(5);
    expect(runPvr(dir, ["sig", "add", "--part", "a", "--raw", "b"]).code).toBe(5);
  });

  test("ls of a missing signature exits 125; update with a bad pattern exits 123", () => {
    const { dir, key, pub } = committed();
    const r = runPvr(dir, ["sig", "--pubkey", pub, "ls", "nope"]);
    expect(r.code).toBe(125);
    expect(r.stderr).toContain("signature file does not exist with name _sigs/nope.json");
    expect(runPvr(dir, ["sig", "--key", key, "--x5c", "no", "update", "_sigs/[x.json"]).code).toBe(123);
  });

  test("an unreadable --pubkey exits 11, a directory 12; an unknown subcommand is a usage error", () => {
    const { dir, key } = committed();
    expect(pvrOk(dir, ["sig", "--pubkey", "/nonexistent.pem", "ls"]).stdout).toBe("{}\n"); // nothing to verify, no key needed
    pvrOk(dir, ["sig", "--key", key, "--x5c", "no", "add", "--part", "app"]);
    pvrOk(dir, ["add", "_sigs"]);
    pvrOk(dir, ["commit"]);
    expect(runPvr(dir, ["sig", "--pubkey", "/nonexistent.pem", "ls"]).code).toBe(11);
    expect(runPvr(dir, ["sig", "--pubkey", dir, "ls"]).code).toBe(12);
    expect(runPvr(dir, ["sig", "frob"]).code).toBe(2);
  });

  test("signing selects the committed state, not the working tree", () => {
    const { dir, key, pub } = committed();
    writeFileSync(join(dir, "app", "bin"), "changed but not committed");
    pvrOk(dir, ["sig", "--key", key, "--x5c", "no", "add", "--part", "app"]);
    pvrOk(dir, ["add", "_sigs/app.json"]);
    pvrOk(dir, ["commit"]); // commits app/bin too: the signature is now stale
    const r = runPvr(dir, ["sig", "--pubkey", pub, "ls"]);
    expect(r.code).toBe(17); // proven stale by the payload this checkout recorded when signing
    expect(r.stderr).toContain("covered entries changed since signing: app/bin");
    rmSync(join(dir, ".pvr", "pvs"), { recursive: true });
    expect(runPvr(dir, ["sig", "--pubkey", pub, "ls"]).code).toBe(13); // without it, ECDSA cannot tell stale from forged
  });
});
