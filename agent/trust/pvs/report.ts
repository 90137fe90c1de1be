/**
 * The verification report behind `pvr sig ls` and the agent's trust policy: verdicts for each
 * signature, the spec's summary (spec pvr-format 12.5: keys protected by a verified signature,
 * keys excluded by one, keys seen by none), covered objects whose bytes do not match their sha
 * (`tampered`), and entries of a signed part that no signature includes or excludes
 * (`uncovered`).
 */
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { hashFile } from "../../objects/store";
import { compareKeys } from "../../state/canonical";
import { goString } from "../../state/indent";
import { isSha, type State } from "../../state/model";
import { type PvsMatch, sigName } from "./payload";
import type { Problem } from "./verdict";
import { type SigFile, type TrustAnchors, type Verdict, verifySig } from "./verify";

export interface SigReport extends Omit<Verdict, "status"> {
  key: string;
  sig: SigFile;
  status: Verdict["status"] | "tampered";
}

export interface ObjectCheck {
  /** "ok", "missing", or the sha the bytes actually have */
  (sha: string): "ok" | "missing" | string;
}

export interface TrustReport {
  sigs: SigReport[];
  protected: string[];
  excluded: string[];
  notseen: string[];
  uncovered: string[];
  tampered: { key: string; reason: string }[];
  missing: string[];
  problems: Problem[];
}

const SMALL = 8 << 20;

/** Checks objects of the store in `dir`: small ones read whole (fewer syscalls), big ones streamed. */
export function storeObjectCheck(dir: string): ObjectCheck {
  return (sha) => {
    const path = join(dir, sha);
    let got: string;
    try {
      got = statSync(path).size < SMALL ? (Bun.SHA256.hash(readFileSync(path), "hex") as string) : hashFile(path).sha;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return "missing";
      throw err;
    }
    return got === sha ? "ok" : got;
  };
}

const META = /[*?[{\\]/;

/** Literal directory prefixes a signature speaks for: `P/` of `P/**`, plus its own part. */
export function scopeOf(name: string, match: PvsMatch): string[] {
  const out = new Set<string>();
  for (const g of match.include) {
    const comps = g.split("/");
    const i = comps.findIndex((c) => META.test(c));
    if (i > 0) out.add(`${comps.slice(0, i).join("/")}/`);
    if (comps[0] === name && comps.length > 1) out.add(`${name}/`);
  }
  return [...out];
}

const sorted = (s: Iterable<string>) => [...s].sort(compareKeys);

export interface SigInput {
  key: string;
  sig: SigFile;
  /** the payload recorded when this checkout made the signature (payloads.ts) */
  recorded?: string;
}

export async function buildReport(state: State, files: SigInput[], trust: TrustAnchors, checkObject?: ObjectCheck): Promise<TrustReport> {
  const sigs: SigReport[] = [];
  for (const f of files) sigs.push({ key: f.key, sig: f.sig, ...(await verifySig(f.sig, state, trust, f.recorded)) });
  const prot = new Set<string>();
  const excl = new Set<string>();
  const scopes: string[] = [];
  for (const s of sigs) {
    if (s.status !== "valid" || !s.selection || !s.header?.pvs) continue;
    for (const k of Object.keys(s.selection.selected)) prot.add(k);
    for (const k of s.selection.excluded) excl.add(k);
    scopes.push(...scopeOf(sigName(s.key), s.header.pvs));
  }
  for (const k of prot) excl.delete(k);
  const anyValid = sigs.some((s) => s.status === "valid");
  const notseen = anyValid ? Object.keys(state).filter((k) => !prot.has(k) && !excl.has(k)) : [];
  const uncovered = notseen.filter((k) => scopes.some((p) => k.startsWith(p)));

  const tampered: TrustReport["tampered"] = [];
  const missing: string[] = [];
  if (checkObject) {
    const seen = new Map<string, string>();
    for (const k of sorted(prot)) {
      const v = state[k];
      if (!isSha(v)) continue;
      const sha = v.toLowerCase();
      const r = seen.get(sha) ?? checkObject(sha);
      seen.set(sha, r);
      if (r === "missing") missing.push(k);
      else if (r !== "ok") tampered.push({ key: k, reason: `the object ${sha} in the store hashes to ${r}` });
    }
    for (const s of sigs) {
      if (s.status === "valid" && tampered.some((t) => s.selection && t.key in s.selection.selected)) s.status = "tampered";
    }
  }
  const problems = new Set<Problem>();
  for (const s of sigs) if (s.status !== "valid") problems.add(s.status);
  if (uncovered.length) problems.add("uncovered");
  return {
    sigs,
    protected: sorted(prot),
    excluded: sorted(excl),
    notseen: sorted(notseen),
    uncovered: sorted(uncovered),
    tampered,
    missing,
    problems: [...problems],
  };
}

/** The stdout document of `sig ls`: json.MarshalIndent(summary, "", "    "), empty members omitted. */
export function summaryJson(r: TrustReport, sigs?: Record<string, string>[]): string {
  const parts: [string, string[] | Record<string, string>[]][] = [
    ["protected", r.protected],
    ["excluded", r.excluded],
    ["notseen", r.notseen],
    ["sigs", sigs ?? []],
  ];
  const q = goString;
  const item = (v: string | Record<string, string>) =>
    typeof v === "string" ? q(v) : `{\n${Object.entries(v).map(([k, x]) => `            ${q(k)}: ${q(x)}`).join(",\n")}\n        }`;
  const members = parts.filter(([, v]) => v.length).map(([k, v]) => `    ${q(k)}: [\n${v.map((x) => `        ${item(x)}`).join(",\n")}\n    ]`);
  return members.length ? `{\n${members.join(",\n")}\n}` : "{}";
}
