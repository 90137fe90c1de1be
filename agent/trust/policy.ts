/**
 * The agent's trust check before it deploys a revision (device.md 4.8, 5.4, 9.3 item 2): the
 * pvs signatures the state carries verify against the trusted keys or CA certificates; signed
 * parts have no uncovered entries; with `requireSignatures` every entry is covered by a verified
 * signature (Pantavisor's strict mode); with `verity: "verify"` every dm-verity manifest matches
 * its objects (the root hash recomputed from the data object, the hash object identical to what
 * `veritysetup format` makes, run.json mounting it through `dm:`). `rehashObjects` also re-hashes
 * covered objects in the store (it verifies hashes on upload already, so this is off by default).
 * `embeddedKeys` (the agent's report when no policy is configured) checks each signature against
 * the keys the signatures embed: integrity (stale, forged, uncovered) without authenticity.
 */
import type { KeyObject, X509Certificate } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { isJsonObject, type JsonObject, type JsonValue } from "../state/json";
import { isSha, SPEC_KEY, type State } from "../state/model";
import { decodeProtected } from "./pvs/header";
import { sigName } from "./pvs/payload";
import { buildReport, type SigInput, storeObjectCheck } from "./pvs/report";
import { PVS_SPEC } from "./pvs/sign";
import { embeddedKey, parseSigFile } from "./pvs/verify";
import { verityVerify } from "./verity-check";

export interface TrustPolicy {
  requireSignatures: boolean;
  trustedKeys?: KeyObject[];
  cacerts?: X509Certificate[];
  verity: "verify" | "off";
  rehashObjects?: boolean;
  /** without trustedKeys or cacerts: trust the keys the signatures themselves embed */
  embeddedKeys?: boolean;
}

export interface TrustProblem {
  /** the part concerned: a signature's name, a container, or a key's first path component */
  part: string;
  reason: string;
}

export interface TrustVerdict {
  ok: boolean;
  problems: TrustProblem[];
}

const partOf = (key: string) => key.split("/")[0] as string;

function verityProblems(state: State, storeDir: string): TrustProblem[] {
  const out: TrustProblem[] = [];
  for (const [key, v] of Object.entries(state)) {
    const at = key.indexOf("/_dm/");
    if (at < 0 || !isJsonObject(v) || typeof v.type !== "string" || !v.type.startsWith("dm-verity")) continue;
    const c = key.slice(0, at);
    const bad = (reason: string) => out.push({ part: c, reason: `${key}: ${reason}` });
    const { data_device: data, hash_device: hash, root_hash: root } = v as Record<string, JsonValue>;
    if (typeof data !== "string" || typeof hash !== "string" || typeof root !== "string") {
      bad("the manifest needs data_device, hash_device and root_hash strings");
      continue;
    }
    const dataSha = state[`${c}/${data}`];
    const hashSha = state[`${c}/${hash}`];
    if (!isSha(dataSha) || !isSha(hashSha)) {
      bad(`the state has no object for ${c}/${data} and ${c}/${hash}`);
      continue;
    }
    const [d, h] = [join(storeDir, dataSha.toLowerCase()), join(storeDir, hashSha.toLowerCase())];
    if (!existsSync(d) || !existsSync(h)) bad("its data or hash object is missing from the store");
    else {
      const problem = verityVerify(d, h, root);
      if (problem) bad(problem.replaceAll(d, `${c}/${data}`).replaceAll(h, `${c}/${hash}`));
    }
    const run = state[`${c}/run.json`];
    if (isJsonObject(run) && !JSON.stringify(run).includes(JSON.stringify(`dm:${data}`))) {
      bad(`${c}/run.json does not mount ${data} through "dm:${data}", so it would not be verified`);
    }
  }
  return out;
}

function signatureInputs(state: State, problems: TrustProblem[]): SigInput[] {
  const out: SigInput[] = [];
  for (const [key, v] of Object.entries(state)) {
    if (!isJsonObject(v) || (v as JsonObject)["#spec"] !== PVS_SPEC) continue;
    try {
      out.push({ key, sig: parseSigFile(v) });
    } catch (err) {
      problems.push({ part: sigName(key), reason: `${key}: invalid: ${(err as Error).message}` });
    }
  }
  return out;
}

function ownKeys(files: SigInput[]): KeyObject[] {
  const out: KeyObject[] = [];
  for (const f of files) {
    try {
      const k = embeddedKey(decodeProtected(f.sig.protected));
      if (k) out.push(k);
    } catch {} // an undecodable header is reported as invalid by the report
  }
  return out;
}

/** With requireSignatures: one problem per part naming its first entry no verified signature covers. */
function notCovered(state: State, covered: Set<string>): TrustProblem[] {
  const byPart = new Map<string, string[]>();
  for (const k of Object.keys(state)) {
    if (k === SPEC_KEY || k.startsWith("_sigs/") || covered.has(k)) continue;
    byPart.set(partOf(k), [...(byPart.get(partOf(k)) ?? []), k]);
  }
  return [...byPart].map(([part, keys]) => ({
    part,
    reason: `${keys[0]}: not covered by any verified signature${keys.length > 1 ? ` (nor ${keys.length - 1} more entries of ${part})` : ""}`,
  }));
}

/** Checks `state` (whose objects live in `storeDir`) against `policy`; never throws for bad content. */
export async function checkTrust(state: State, policy: TrustPolicy, storeDir: string): Promise<TrustVerdict> {
  const problems: TrustProblem[] = [];
  const files = signatureInputs(state, problems);
  if (policy.requireSignatures && files.length === 0) problems.push({ part: "_sigs", reason: "the state carries no pvs signatures and signatures are required" });
  const own = policy.embeddedKeys && !policy.trustedKeys?.length && !policy.cacerts ? ownKeys(files) : undefined;
  const pubkeys = own ?? policy.trustedKeys;
  const trust = { pubkeys, cacerts: pubkeys?.length ? undefined : (policy.cacerts ?? []) };
  const report = files.length ? await buildReport(state, files, trust, policy.rehashObjects ? storeObjectCheck(storeDir) : undefined) : null;
  for (const s of report?.sigs ?? []) {
    if (s.status !== "valid" && s.status !== "tampered") problems.push({ part: sigName(s.key), reason: `${s.key}: ${s.status}${s.reason ? `: ${s.reason}` : ""}` });
  }
  for (const t of report?.tampered ?? []) problems.push({ part: partOf(t.key), reason: `${t.key}: tampered: ${t.reason}` });
  for (const k of report?.missing ?? []) problems.push({ part: partOf(k), reason: `${k}: its object is missing from the store` });
  for (const k of report?.uncovered ?? []) problems.push({ part: partOf(k), reason: `${k}: uncovered: inside a signed part but no signature includes or excludes it` });
  if (policy.requireSignatures) problems.push(...notCovered(state, new Set([...(report?.protected ?? []), ...(report?.excluded ?? []), ...(report?.uncovered ?? [])])));
  if (policy.verity === "verify") problems.push(...verityProblems(state, storeDir));
  return { ok: problems.length === 0, problems };
}
