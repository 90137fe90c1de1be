/**
 * agent/trust/policy.ts, the check the agent can run before deploying: signatures verify against
 * the trusted keys, signed parts have no uncovered entries, `requireSignatures` wants every entry
 * covered, and dm-verity manifests match their data and hash objects in the store.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadPublicKeys } from "../agent/trust/pvs/keys";
import { checkTrust } from "../agent/trust/policy";
import { newRepo, pvrOk, tmpdir } from "./helpers";
import { makeKey } from "./pki";

function signedDmRepo() {
  const { dir, objects } = newRepo({
    "app/root.squashfs": Buffer.alloc(4096 * 20, 7),
    "app/run.json": '{"name":"app","root-volume":"root.squashfs"}',
    "other/file": "unsigned part",
  });
  pvrOk(dir, ["add", "."]);
  pvrOk(dir, ["dm-convert", "app", "root.squashfs"]);
  pvrOk(dir, ["commit"]);
  const keys = tmpdir();
  const key = makeKey(keys, "k", "rsa-pkcs8");
  pvrOk(dir, ["sig", "--key", key, "--x5c", "no", "add", "--part", "app"]);
  pvrOk(dir, ["add", "_sigs"]);
  pvrOk(dir, ["commit"]);
  const trustedKeys = loadPublicKeys(join(keys, "k.pub.pem"), () => {});
  const state = () => JSON.parse(readFileSync(join(dir, ".pvr", "json"), "utf8"));
  return { dir, objects, trustedKeys, state };
}

describe("checkTrust", () => {
  test("a signed state with a dm-verity volume passes; requireSignatures flags the unsigned part", async () => {
    const { objects, trustedKeys, state } = signedDmRepo();
    expect(await checkTrust(state(), { requireSignatures: false, trustedKeys, verity: "verify", rehashObjects: true }, objects)).toEqual({ ok: true, problems: [] });
    const strict = await checkTrust(state(), { requireSignatures: true, trustedKeys, verity: "off" }, objects);
    expect(strict.ok).toBe(false);
    expect(strict.problems).toContainEqual({ part: "other", reason: "other/file: not covered by any verified signature" });
  });

  test("an untrusted signer, a tampered dm data object and a stale signature are reported", async () => {
    const { objects, trustedKeys, state } = signedDmRepo();
    const other = loadPublicKeys(join(makeKey(tmpdir(), "o", "p256-sec1"), "..", "o.pub.pem"), () => {});
    const r1 = await checkTrust(state(), { requireSignatures: false, trustedKeys: other, verity: "off" }, objects);
    expect(r1.problems.map((p) => p.part)).toEqual(["app"]);
    expect(r1.problems[0]?.reason).toContain("untrusted");

    const s = state();
    writeFileSync(join(objects, s["app/root.squashfs"]), Buffer.alloc(4096 * 20, 8));
    const r2 = await checkTrust(s, { requireSignatures: false, trustedKeys, verity: "verify" }, objects);
    expect(r2.problems).toContainEqual({ part: "app", reason: expect.stringContaining("root hash mismatch") });

    const s3 = { ...s, "app/extra/new": s["other/file"] };
    const r3 = await checkTrust(s3, { requireSignatures: false, trustedKeys, verity: "off" }, objects);
    expect(r3.problems.some((p) => p.reason.includes("_sigs/app.json: stale"))).toBe(true);
  });

  test("no trusted keys or CA certificates: every signature is untrusted", async () => {
    const { objects, state } = signedDmRepo();
    const r = await checkTrust(state(), { requireSignatures: false, verity: "off" }, objects);
    expect(r.ok).toBe(false);
    expect(r.problems[0]?.reason).toContain("untrusted");
  });
});
