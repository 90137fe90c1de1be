/**
 * `pvr sig ls` (spec pvr-format 12.5): verify the signatures of the committed state and print
 * the summary. Like the Go tool, the signature files are read from the working tree (falling
 * back to the committed value when a file is absent) and the payload is recomputed from the
 * committed state. Unlike it, every signature is checked, problems are reported per signature
 * on stderr, and the exit code tells the kind of problem (verdict.ts).
 */
import { existsSync, readFileSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import { canonicalize } from "../../state/canonical";
import { isJsonObject, type JsonValue, parseJson } from "../../state/json";
import type { Repo } from "../../repo/repo";
import { b64url } from "./header";
import { sigKey } from "./payload";
import { recordedPayload } from "./payloads";
import { buildReport, storeObjectCheck, summaryJson, type TrustReport } from "./report";
import { PVS_SPEC } from "./sign";
import { exitFor, SigError } from "./verdict";
import { parseSigFile, type SigFile, type TrustAnchors } from "./verify";

export interface LsOptions {
  cwd: string;
  args: string[];
  /** the trust anchors, resolved only when there is a signature to check */
  trust: () => Promise<TrustAnchors>;
  withSigs?: boolean;
  withPayload?: boolean;
  /** skip re-hashing the covered objects in the store */
  skipObjects?: boolean;
}

export interface LsResult {
  json: string;
  messages: string[];
  exitCode: number;
  report: TrustReport;
}

function targetKeys(repo: Repo, state: Record<string, JsonValue>, o: LsOptions): string[] {
  if (o.args.length === 0) {
    return Object.keys(state)
      .filter((k) => isJsonObject(state[k]) && (state[k] as Record<string, JsonValue>)["#spec"] === PVS_SPEC)
      .sort();
  }
  return o.args.map((a) => (a.endsWith(".json") ? relative(repo.root, resolve(o.cwd, a)).split(sep).join("/") : sigKey(a)));
}

function loadSig(repo: Repo, state: Record<string, JsonValue>, key: string, notes: string[]): SigFile {
  const path = join(repo.root, key);
  let value: JsonValue | undefined = state[key];
  if (existsSync(path)) {
    const text = readFileSync(path, "utf8");
    try {
      value = parseJson(text);
    } catch (err) {
      throw new SigError(13, `${key}: ${(err as Error).message}`);
    }
    if (state[key] !== undefined && canonicalize(value) !== canonicalize(state[key] as JsonValue)) {
      notes.push(`note: ${key} differs from the committed one; commit it so the state carries it`);
    }
  } else if (value === undefined) throw new SigError(125, `signature file does not exist with name ${key}`);
  try {
    return parseSigFile(value);
  } catch (err) {
    throw new SigError(13, `${key}: ${(err as Error).message}`);
  }
}

function describe(r: TrustReport["sigs"][number]): string {
  const inc = JSON.stringify(r.header?.pvs?.include ?? []);
  switch (r.status) {
    case "unverifiable":
      return `it selects no entry of this state (include ${inc}), so what it signed is not here; restore those entries or remove the signature`;
    case "stale":
      return `${r.reason}; if those changes are yours, run 'pvr sig update ${r.key}' and commit`;
    case "tampered":
      return "the signature is valid but covered objects were altered (see below)";
    default:
      return r.reason;
  }
}

export async function sigLs(repo: Repo, o: LsOptions): Promise<LsResult> {
  const state = repo.pristine();
  const notes: string[] = [];
  const files = targetKeys(repo, state, o).map((key) => {
    const sig = loadSig(repo, state, key, notes);
    return { key, sig, recorded: recordedPayload(repo.pvrDir, sig.signature) };
  });
  const trust = files.length ? await o.trust() : {};
  const report = await buildReport(state, files, trust, o.skipObjects ? undefined : storeObjectCheck(repo.objects.dir));
  const sigs = o.withSigs
    ? report.sigs.map((s) => ({
        ...(o.withPayload && s.selection ? { payload: b64url(s.selection.payload) } : {}),
        protected: s.sig.protected,
        signature: s.sig.signature,
      }))
    : undefined;
  const messages = [...notes];
  for (const s of report.sigs) if (s.status !== "valid") messages.push(`${s.key}: ${s.status}: ${describe(s)}`);
  for (const t of report.tampered) messages.push(`${t.key}: tampered: ${t.reason}`);
  for (const k of report.uncovered) {
    messages.push(`${k}: uncovered: inside a signed part but no signature includes or excludes it; sign again with 'pvr sig add' and globs that cover it, or --exclude it`);
  }
  if (report.missing.length) messages.push(`note: ${report.missing.length} covered objects are not in the object store; their bytes were not checked`);
  if (files.length === 0) messages.push("note: the committed state has no pvs signatures");
  return { json: summaryJson(report, sigs), messages, exitCode: exitFor(report.problems), report };
}
