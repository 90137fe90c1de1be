/**
 * `pvr sig add` and `pvr sig update` (spec pvr-format 12.3, 12.4): sign the committed (pristine)
 * state and write `_sigs/<name>.json` into the working tree (dir 0755, file 0644); the user then
 * commits it. `--output` also gets the bytes: `-` is stdout (for update too, unlike the Go tool),
 * a file is truncated first. Update re-signs existing signatures with their own globs and the
 * current key options.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PvrError } from "../../errors";
import { writeFileDurable } from "../../fsutil/durable";
import { isJsonObject, type JsonValue, parseJson } from "../../state/json";
import type { State } from "../../state/model";
import type { Repo } from "../../repo/repo";
import { globMatches, globProblem } from "./glob";
import { decodeProtected } from "./header";
import type { SigningKey } from "./keys";
import { recordPayload } from "./payloads";
import { type AddRules, addMatch, type PvsMatch, sigKey, sigName } from "./payload";
import { PVS_SPEC, type Signed, signPvs } from "./sign";
import { SigError } from "./verdict";
import { parseSigFile } from "./verify";

export interface SignSetup {
  key: SigningKey;
  x5c: string[] | null;
  withPayload: boolean;
  /** also write the signature here; "-" = stdout */
  output?: string;
  out: (text: string) => void;
  err: (text: string) => void;
}

function writeSig(repo: Repo, name: string, signed: Signed, outputs: string[]): void {
  const dir = join(repo.root, "_sigs");
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  writeFileDurable(join(dir, `${name}.json`), signed.file, 0o644);
  recordPayload(repo.pvrDir, signed.signature, signed.selection.payload);
  outputs.push(signed.file);
}

function flushOutput(setup: SignSetup, outputs: string[]): void {
  if (!setup.output || outputs.length === 0) return;
  if (setup.output === "-") setup.out(outputs.map((o) => `${o}\n`).join(""));
  else writeFileSync(setup.output, outputs.length === 1 ? (outputs[0] as string) : outputs.map((o) => `${o}\n`).join(""));
}

function sign(state: State, match: PvsMatch, setup: SignSetup): Signed {
  try {
    return signPvs(state, match, setup.key, { x5c: setup.x5c ?? undefined, withPayload: setup.withPayload });
  } catch (err) {
    throw new SigError(127, `signing failed: ${(err as Error).message}`);
  }
}

function commitHint(state: State, key: string): string {
  return key in state ? `run 'pvr commit' to record it` : `run 'pvr add ${key} && pvr commit' to record it`;
}

/** The usage errors of `sig add` (exit 5), checked before any key is loaded. */
export function checkAddRules(rules: AddRules): { name: string; match: PvsMatch } {
  if (rules.part === undefined && rules.raw === undefined) throw new SigError(5, "no part nor raw name provided; see --help");
  if (rules.part !== undefined && rules.raw !== undefined) throw new SigError(5, "part and raw flag cannot be used at same time; see --help");
  return addMatch(rules);
}

export function sigAdd(repo: Repo, rules: AddRules, setup: SignSetup): Signed {
  const { name, match } = checkAddRules(rules);
  const state = repo.pristine();
  const signed = sign(state, match, setup);
  const outputs: string[] = [];
  writeSig(repo, name, signed, outputs);
  flushOutput(setup, outputs);
  const n = Object.keys(signed.selection.selected).length;
  if (n === 0) setup.err(`warning: the signature selects no committed entries (include ${JSON.stringify(match.include)})\n`);
  setup.err(`Signed ${n} committed entries into ${sigKey(name)}; ${commitHint(state, sigKey(name))}\n`);
  return signed;
}

function readSigValue(repo: Repo, state: State, key: string): JsonValue | undefined {
  const onDisk = join(repo.root, key);
  if (existsSync(onDisk)) return parseJson(readFileSync(onDisk, "utf8"));
  return state[key];
}

/** Patterns of `sig update`: `x` means `_sigs/x.json`; arguments ending in `.json` are globs. */
export function updatePatterns(args: string[]): string[] {
  const pats = args.length ? args.map((a) => (a.endsWith(".json") ? a : sigKey(a))) : ["_sigs/*.json"];
  for (const p of pats) if (globProblem(p)) throw new SigError(123, `bad pattern ${JSON.stringify(p)}: ${globProblem(p)}`);
  return pats;
}

export function sigUpdate(repo: Repo, args: string[], setup: SignSetup): string[] {
  const pats = updatePatterns(args);
  const state = repo.pristine();
  const keys = Object.keys(state)
    .filter((k) => isJsonObject(state[k]) && (state[k] as Record<string, JsonValue>)["#spec"] === PVS_SPEC)
    .filter((k) => pats.some((p) => globMatches(p, k)))
    .sort();
  if (keys.length === 0) {
    if (args.length) throw new SigError(125, `no committed pvs signature matches ${args.join(" ")}`);
    setup.err("No pvs signatures in the committed state\n");
    return [];
  }
  const outputs: string[] = [];
  for (const key of keys) {
    setup.err(`Updating pvs signature @ ${key}`);
    try {
      const match = decodeProtected(parseSigFile(readSigValue(repo, state, key)).protected).pvs as PvsMatch;
      const own = sigKey(sigName(key));
      if (match.include.some((g) => globMatches(g, own)) && !match.exclude.some((g) => globMatches(g, own))) {
        match.exclude = [...match.exclude, own];
        setup.err(` (now excluding ${own}, which its globs covered)`);
      }
      writeSig(repo, sigName(key), sign(state, match, setup), outputs);
      setup.err(" [DONE]\n");
    } catch (err) {
      setup.err(" [ERROR]\n");
      if (err instanceof PvrError && (err as SigError).exitCode === 127) throw err;
      throw new SigError(126, `${key}: ${(err as Error).message}`);
    }
  }
  flushOutput(setup, outputs);
  setup.err(`run 'pvr commit' to record the updated signatures\n`);
  return keys;
}
