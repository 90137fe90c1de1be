/**
 * The agent's trust policy from its flags (`--require-signatures`, `--trusted-keys FILE`,
 * `--cacerts FILE|_system_`, `--verity verify|off`): key and certificate files are read once at
 * startup, and an unreadable or empty file is a usage error naming it, so a device never runs
 * with a policy weaker than the one it was given. `enforce` is true when any of them asks for a
 * check; then a post that fails it is refused. `--verity` defaults to `verify` with
 * `--require-signatures`, else to `off`. Without --trusted-keys or --cacerts (`--verity verify`
 * alone, or no policy at all) signatures are checked against the keys they embed: a stale,
 * forged or incomplete signature is still caught, though no signer is authenticated.
 */
import { resolve } from "node:path";
import { PvrError } from "../errors";
import type { TrustPolicy } from "./policy";

// Loaded only when a key or certificate file is given: node:crypto and tar cost an agent that
// runs without a trust policy some 8 MiB of resident memory.
const keys = () => require("./pvs/keys") as typeof import("./pvs/keys");
const pvsConfig = () => require("./pvs/config") as typeof import("./pvs/config");

export interface AgentTrust {
  /** a policy is active: posts that fail the check are refused (422) */
  enforce: boolean;
  policy: TrustPolicy;
  /** where the keys and certificates came from, for --print-config */
  trustedKeysFile?: string;
  cacertsFile?: string;
}

export interface TrustFlags {
  requireSignatures?: boolean;
  trustedKeys?: string;
  cacerts?: string;
  verity?: string;
}

function load<T>(flag: string, path: string, read: () => T[], what: string): T[] {
  let items: T[];
  try {
    items = read();
  } catch (err) {
    throw PvrError.usage(`${flag} ${path}: ${(err as Error).message}`);
  }
  if (items.length === 0) throw PvrError.usage(`${flag} ${path}: the file holds no ${what}`);
  return items;
}

export function resolveTrust(f: TrustFlags, cwd: string, env: Record<string, string | undefined>, warn: (msg: string) => void): AgentTrust {
  const verity = f.verity || (f.requireSignatures ? "verify" : "off");
  if (verity !== "verify" && verity !== "off") throw PvrError.usage(`--verity must be verify or off, not ${JSON.stringify(verity)}`);
  if (f.trustedKeys && f.cacerts) throw PvrError.usage("--trusted-keys and --cacerts cannot be combined: signatures are checked against one or the other; give one");
  if (f.requireSignatures && !f.trustedKeys && !f.cacerts) throw PvrError.usage("--require-signatures needs --trusted-keys or --cacerts: without them no signature can verify");
  const policy: TrustPolicy = { requireSignatures: f.requireSignatures === true, verity };
  const out: AgentTrust = { enforce: false, policy };
  if (f.trustedKeys) {
    const path = resolve(cwd, f.trustedKeys);
    policy.trustedKeys = load("--trusted-keys", path, () => keys().loadPublicKeys(path, warn), "PUBLIC KEY block (RSA or ECDSA)");
    out.trustedKeysFile = path;
  }
  if (f.cacerts) {
    let path = f.cacerts;
    const { SYSTEM_CACERTS, systemCaBundle } = pvsConfig();
    if (path === SYSTEM_CACERTS) {
      try {
        path = systemCaBundle(env);
      } catch (err) {
        throw PvrError.usage(`--cacerts ${SYSTEM_CACERTS}: ${(err as Error).message}`);
      }
    } else path = resolve(cwd, path);
    policy.cacerts = load("--cacerts", path, () => keys().loadCertificates(path, "CA certificates file"), "CERTIFICATE block");
    out.cacertsFile = path;
  }
  policy.embeddedKeys = !policy.trustedKeys && !policy.cacerts;
  out.enforce = policy.requireSignatures || policy.verity === "verify" || !!policy.trustedKeys || !!policy.cacerts;
  return out;
}

/** The policy for --print-config and the startup line (keys and certificates as counts). */
export function describeTrust(t: AgentTrust): Record<string, unknown> {
  return {
    enforce: t.enforce,
    requireSignatures: t.policy.requireSignatures,
    verity: t.policy.verity,
    trustedKeys: t.trustedKeysFile ? `${t.trustedKeysFile} (${t.policy.trustedKeys?.length} keys)` : null,
    cacerts: t.cacertsFile ? `${t.cacertsFile} (${t.policy.cacerts?.length} certificates)` : null,
  };
}
