/**
 * `pvr agent` enforcing its trust policy, as real processes driven by curl, with states made by
 * the real CLI (`pvr sig add`, `pvr dm-convert`) and keys made by openssl: --require-signatures
 * with --trusted-keys (or --cacerts) refuses unsigned, uncovered, untrusted and stale states with
 * 422 naming each part, leaving objects/ and trails/ untouched; --verity verify refuses a dm-verity
 * volume whose hash object does not match its data; without a policy the check only reports
 * (post response, log, event log). Also the flags' resolution and their fail-fast errors.
 */
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { resolveConfig } from "../agent/config";
import { PvrError } from "../agent/errors";
import { BUN, CLI, newRepo, pvrOk, sha256, tmpdir } from "./helpers";
import { type AgentProcess, curl, snapshotStorage, startAgentProcess } from "./agent-helpers";
import { bundle, issue, makeKey, makeRoot } from "./pki";

type State = Record<string, unknown>;
interface Made {
  objects: string;
  state: State;
}

const running: AgentProcess[] = [];
afterAll(async () => {
  for (const a of running) if (a.proc.exitCode === null) await a.stop();
});
async function start(args: string[]): Promise<AgentProcess> {
  const a = await startAgentProcess({ args });
  running.push(a);
  return a;
}

const DATA = Buffer.alloc(4096 * 20, 7);
const RUN = '{"name":"app","root-volume":"root.squashfs"}';

/** A committed checkout of one container `app` (dm-verity root volume), after `steps`. */
function make(steps: string[][], files: Record<string, string | Uint8Array> = { "app/root.squashfs": DATA, "app/run.json": RUN }): Made {
  const { dir, objects } = newRepo(files);
  for (const s of [["add", "."], ["dm-convert", "app", "root.squashfs"], ["commit"], ...steps]) pvrOk(dir, s);
  return { objects, state: JSON.parse(readFileSync(join(dir, ".pvr", "json"), "utf8")) };
}
const signWith = (key: string, ...add: string[]) => [["sig", "--key", key, "--x5c", "no", "add", "--part", "app", ...add], ["add", "_sigs"], ["commit"]];

/** Uploads every object of `state` (from `objects`) to the agent. */
function upload(a: AgentProcess, m: Made, state: State = m.state): void {
  for (const v of new Set(Object.values(state))) {
    if (typeof v !== "string" || !/^[0-9a-f]{64}$/.test(v)) continue;
    const r = curl(["-X", "PUT", "--data-binary", `@${join(m.objects, v)}`, `${a.base}/objects/${v}/blob`]);
    expect(r.status).toBe(200);
  }
}
const post = (a: AgentProcess, rev: string, state: State) => {
  const r = curl(["-X", "POST", "--data-binary", JSON.stringify({ rev, state }), `${a.base}/steps`]);
  return { status: r.status, body: JSON.parse(r.body) };
};

/** Posts `state` expecting 422, and proves that nothing was deployed or stored. */
function refused(a: AgentProcess, rev: string, state: State) {
  const before = snapshotStorage(a.storage);
  const r = post(a, rev, state);
  expect(r.status).toBe(422);
  expect(r.body.Error).toContain(`locals/${rev} refused by the trust policy`);
  expect(snapshotStorage(a.storage)).toEqual(before);
  expect(existsSync(join(a.storage, "trails", "locals", rev))).toBe(false);
  expect(curl([`${a.base}/steps/locals/${rev}`]).status).toBe(404);
  return r.body.problems as { part: string; reason: string }[];
}
function deployed(a: AgentProcess, rev: string, state: State) {
  const r = post(a, rev, state);
  expect(r.status).toBe(200);
  expect(JSON.parse(readFileSync(join(a.storage, "trails", "locals", rev, ".pvr", "json"), "utf8"))).toEqual(state);
  return r.body;
}
/** The agent's log once it matches `re` (stderr arrives asynchronously). */
async function logMatching(a: AgentProcess, re: RegExp): Promise<string> {
  for (let i = 0; i < 100 && !re.test(a.log()); i++) await Bun.sleep(20);
  return a.log();
}
const events = (a: AgentProcess, kind: string) => {
  const db = new Database(join(a.storage, ".pvr-agent", "agent.db"), { readonly: true });
  try {
    return (db.query("SELECT detail FROM events WHERE kind = ? ORDER BY id").all(kind) as { detail: string }[]).map((r) => r.detail);
  } finally {
    db.close();
  }
};

let keys: string;
let trusted: string;
let signed: Made; // signed by `o`, one of the trusted keys
let untrusted: Made; // signed by `u`, not trusted
let narrow: Made; // signed by `k`, globs that leave new entries uncovered
let plain: Made; // dm-verity, unsigned
let otherDm: Made; // the same data converted again: another salt, so another hash object

beforeAll(() => {
  keys = tmpdir("pvr-keys-");
  makeKey(keys, "k", "rsa-pkcs8");
  makeKey(keys, "o", "p256-sec1");
  makeKey(keys, "u", "rsa-pkcs1");
  trusted = bundle(keys, "trusted.pem", [join(keys, "k.pub.pem"), join(keys, "o.pub.pem")]);
  signed = make(signWith(join(keys, "o.pem")));
  untrusted = make(signWith(join(keys, "u.pem")));
  narrow = make(signWith(join(keys, "k.pem"), "--include", "run.json", "--include", "root.squashfs*", "--include", "_dm/*"));
  plain = make([]);
  otherDm = make([]);
}, 60_000);

describe("--require-signatures --trusted-keys", () => {
  let a: AgentProcess;
  beforeAll(async () => {
    a = await start(["--require-signatures", "--trusted-keys", trusted]);
    for (const m of [signed, untrusted, narrow, plain]) upload(a, m);
  });

  test("the startup line names the policy", () => {
    expect(a.log()).toContain("trust policy: signatures required against 2 trusted keys, verity verify");
  });

  test("an unsigned state is refused naming its part; nothing is deployed", async () => {
    const problems = refused(a, "unsigned", plain.state);
    expect(problems).toContainEqual({ part: "_sigs", reason: "the state carries no pvs signatures and signatures are required" });
    expect(problems.find((p) => p.part === "app")?.reason).toMatch(/^app\/\S+: not covered by any verified signature \(nor 3 more entries of app\)$/);
    expect(await logMatching(a, /post of locals\/unsigned refused/)).toContain("post of locals/unsigned refused by the trust policy: _sigs: ");
    expect(events(a, "trust-refused")[0]).toStartWith("locals/unsigned _sigs: ");
  });

  test("a state signed with a trusted key (the second of the file) is deployed", async () => {
    const body = deployed(a, "signed", signed.state);
    expect(body.trust).toEqual({ ok: true, problems: [] });
    expect(await logMatching(a, /locals\/signed installed/)).toContain("revision locals/signed installed");
  });

  test("an entry the signature's globs do not cover is refused naming it", () => {
    const extra = "extra config";
    const sha = sha256(extra);
    writeFileSync(join(narrow.objects, sha), extra);
    const state = { ...narrow.state, "app/etc/new.conf": sha };
    upload(a, narrow, state);
    expect(post(a, "narrow-ok", narrow.state).status).toBe(200); // the globs cover everything else
    const problems = refused(a, "uncovered", state);
    expect(problems).toEqual([{ part: "app", reason: "app/etc/new.conf: uncovered: inside a signed part but no signature includes or excludes it" }]);
  });

  test("a signature by a key not in --trusted-keys is refused", () => {
    const problems = refused(a, "untrusted", untrusted.state);
    expect(problems[0]).toEqual({ part: "app", reason: expect.stringContaining("_sigs/app.json: untrusted") });
    expect(problems).toContainEqual({ part: "app", reason: expect.stringContaining("not covered by any verified signature") });
  });

  test("a signed entry changed after signing is refused (an ECDSA signature cannot show it stale: invalid)", () => {
    const state = { ...signed.state, "app/run.json": { name: "app", "root-volume": "dm:root.squashfs", evil: true } };
    const problems = refused(a, "changed", state);
    expect(problems[0]).toEqual({ part: "app", reason: "_sigs/app.json: invalid: the signature does not verify with any trusted key" });
  });

  test("with --trusted-keys alone (no --require-signatures) signed parts are checked, unsigned ones pass", async () => {
    const b = await start(["--trusted-keys", trusted]);
    for (const m of [signed, untrusted, plain]) upload(b, m);
    expect(b.log()).toContain("trust policy: signatures checked against 2 trusted keys, verity off");
    deployed(b, "signed", signed.state);
    deployed(b, "unsigned", plain.state);
    expect(refused(b, "untrusted", untrusted.state)).toEqual([{ part: "app", reason: expect.stringContaining("_sigs/app.json: untrusted") }]);
  });
});

describe("--verity verify", () => {
  let a: AgentProcess;
  beforeAll(async () => {
    a = await start(["--verity", "verify"]);
    for (const m of [plain, otherDm]) upload(a, m);
  });

  test("a dm manifest whose hash object does not match the data is refused naming the container", () => {
    const hashKey = "app/root.squashfs.hash";
    expect(otherDm.state[hashKey]).not.toBe(plain.state[hashKey]);
    const problems = refused(a, "bad-hash", { ...plain.state, [hashKey]: otherDm.state[hashKey] });
    expect(problems).toHaveLength(1);
    expect(problems[0]?.part).toBe("app");
    expect(problems[0]?.reason).toStartWith("app/_dm/root.squashfs.json: ");
  });

  test("a run.json that does not mount the volume through dm: is refused", () => {
    const problems = refused(a, "no-dm", { ...plain.state, "app/run.json": JSON.parse(RUN) });
    expect(problems[0]?.reason).toContain('does not mount root.squashfs through "dm:root.squashfs"');
  });

  test("a matching dm-verity volume is deployed", () => {
    expect(deployed(a, "good", plain.state).trust).toEqual({ ok: true, problems: [] });
  });
});

describe("--require-signatures --cacerts: x5c chains", () => {
  test("a chain to the CA is deployed; a signature without x5c is refused", async () => {
    const pki = tmpdir("pvr-pki-");
    makeRoot(pki, "root");
    issue(pki, "leaf", "root");
    const chained = make([["sig", "--key", join(pki, "leaf.pem"), "--x5c", join(pki, "leaf.crt"), "add", "--part", "app"], ["add", "_sigs"], ["commit"]]);
    const a = await start(["--require-signatures", "--cacerts", join(pki, "root.crt")]);
    upload(a, chained);
    upload(a, signed);
    deployed(a, "chained", chained.state);
    expect(refused(a, "no-x5c", signed.state)[0]?.reason).toContain("_sigs/app.json: untrusted");
  }, 30_000);
});

describe("no policy: report only", () => {
  let a: AgentProcess;
  beforeAll(async () => {
    a = await start([]);
    for (const m of [signed, untrusted, plain]) upload(a, m);
  });

  test("a consistent signature, trusted or not, reports ok (checked against its embedded key)", () => {
    expect(a.log()).toContain("trust: report only");
    expect(deployed(a, "untrusted", untrusted.state).trust).toEqual({ ok: true, problems: [] });
    expect(deployed(a, "unsigned", plain.state).trust).toEqual({ ok: true, problems: [] });
  });

  test("a tampered signed part is deployed, but the response, the log and the event log report it", async () => {
    const extra = "not signed";
    writeFileSync(join(signed.objects, sha256(extra)), extra);
    const state = { ...signed.state, "app/extra.bin": sha256(extra) };
    upload(a, signed, state);
    const body = deployed(a, "tampered", state);
    expect(body.trust.ok).toBe(false);
    expect(body.trust.problems).toEqual([{ part: "app", reason: expect.stringMatching(/^_sigs\/app\.json: (stale|invalid)/) }]);
    expect(await logMatching(a, /trust: locals\/tampered/)).toMatch(/trust: locals\/tampered: app: _sigs\/app\.json: (stale|invalid).*\(reported only/);
    expect(events(a, "trust")).toEqual([`locals/tampered app: ${body.trust.problems[0].reason}`]);
  });

  test("a forged signature is reported as invalid", () => {
    const sig = { ...(signed.state["_sigs/app.json"] as Record<string, string>) };
    const s = sig.signature as string;
    sig.signature = `${s.slice(0, 10)}${s[10] === "A" ? "B" : "A"}${s.slice(11)}`;
    const body = deployed(a, "forged", { ...signed.state, "_sigs/app.json": sig });
    expect(body.trust).toEqual({ ok: false, problems: [{ part: "app", reason: expect.stringContaining("_sigs/app.json: invalid") }] });
  });
});

describe("flags", () => {
  const cfg = (raw: Record<string, string | boolean>) => resolveConfig(raw, "/", () => false, {}, () => {});

  test("defaults: no policy, signatures checked against their embedded keys", () => {
    expect(cfg({}).trust).toEqual({ enforce: false, policy: { requireSignatures: false, verity: "off", embeddedKeys: true } });
    expect(cfg({ verity: "verify" }).trust.enforce).toBe(true);
  });

  test("--require-signatures implies --verity verify; keys are loaded at startup", () => {
    const t = cfg({ requireSignatures: true, trustedKeys: trusted }).trust;
    expect(t).toMatchObject({ enforce: true, trustedKeysFile: trusted, policy: { requireSignatures: true, verity: "verify", embeddedKeys: false } });
    expect(t.policy.trustedKeys).toHaveLength(2);
    expect(cfg({ requireSignatures: true, trustedKeys: trusted, verity: "off" }).trust.policy.verity).toBe("off");
    expect(cfg({ trustedKeys: trusted }).trust).toMatchObject({ enforce: true, policy: { requireSignatures: false, verity: "off" } });
  });

  test("unreadable, empty or conflicting inputs fail fast naming the file", () => {
    const bad = (raw: Record<string, string | boolean>, msg: RegExp) => {
      let err: unknown;
      try {
        cfg(raw);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(PvrError);
      expect((err as PvrError).code).toBe("usage");
      expect((err as Error).message).toMatch(msg);
    };
    bad({ trustedKeys: "/no/such.pem" }, /^--trusted-keys \/no\/such\.pem: /);
    bad({ trustedKeys: join(keys, "k.pem") }, /k\.pem: the file holds no PUBLIC KEY block/);
    bad({ cacerts: trusted }, /trusted\.pem: the file holds no CERTIFICATE block/);
    bad({ requireSignatures: true }, /needs --trusted-keys or --cacerts/);
    bad({ trustedKeys: trusted, cacerts: trusted }, /cannot be combined/);
    bad({ verity: "maybe" }, /--verity must be verify or off/);
  });

  test("the process exits 2 at startup; the environment variables work", () => {
    const r = Bun.spawnSync([BUN, CLI, "agent", "--trusted-keys", "/no/such.pem", "--storage", tmpdir()], { stderr: "pipe" });
    expect(r.exitCode).toBe(2);
    expect(r.stderr.toString()).toContain("--trusted-keys /no/such.pem");
    const env = { ...process.env, PVR_AGENT_REQUIRE_SIGNATURES: "1", PVR_AGENT_TRUSTED_KEYS: trusted };
    const p = Bun.spawnSync([BUN, CLI, "agent", "--print-config"], { stdout: "pipe", env });
    expect(JSON.parse(p.stdout.toString()).trust).toEqual({ enforce: true, requireSignatures: true, verity: "verify", trustedKeys: `${trusted} (2 keys)`, cacerts: null });
  });
});
