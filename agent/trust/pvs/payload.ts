/**
 * What a pvs signature covers (spec pvr-format 12.2, 12.3): the match rules built by `sig add`
 * in part and raw mode, the selection of pristine state keys by include/exclude globs, and the
 * payload, the canonical JSON of the selected entries.
 */
import { posix } from "node:path";
import { PvrError } from "../../errors";
import { canonicalize } from "../../state/canonical";
import { type JsonObject, newObject } from "../../state/json";
import type { State } from "../../state/model";
import { globMatches, globProblem } from "./glob";

export interface PvsMatch {
  include: string[];
  exclude: string[];
}

export interface Selection {
  /** the selected entries (included and not excluded) */
  selected: JsonObject;
  /** keys matched by an exclude glob */
  excluded: string[];
  /** keys matched by neither */
  notSeen: string[];
  /** canonical JSON of `selected`: the signed bytes */
  payload: string;
}

/** The state key of a signature: `_sigs/<name>.json`. */
export function sigKey(name: string): string {
  return `_sigs/${name}.json`;
}

/** The signature name of a key `_sigs/<name>.json` (basename minus `.json`). */
export function sigName(key: string): string {
  return posix.basename(key).replace(/\.json$/, "");
}

export function selectPayload(state: State, match: PvsMatch): Selection {
  const selected = newObject();
  const excluded: string[] = [];
  const notSeen: string[] = [];
  for (const key of Object.keys(state)) {
    const inc = match.include.some((g) => globMatches(g, key));
    const exc = match.exclude.some((g) => globMatches(g, key));
    if (inc && !exc) selected[key] = state[key] as JsonObject;
    else if (exc) excluded.push(key);
    else notSeen.push(key);
  }
  return { selected, excluded, notSeen, payload: canonicalize(selected) };
}

export interface AddRules {
  part?: string;
  raw?: string;
  /** user --include values; defaults to ["**"] */
  include?: string[];
  /** user --exclude values; defaults to ["src.json"] */
  exclude?: string[];
  noConfig?: boolean;
}

function checkGlobs(globs: string[]): void {
  for (const g of globs) {
    const problem = globProblem(g);
    if (problem) throw PvrError.usage(`bad glob ${JSON.stringify(g)}: ${problem}`);
  }
}

/**
 * The match and signature name `sig add` uses. Part mode prefixes the globs with the part,
 * adds `_config/<part>/**` (unless noConfig) and excludes the signature's own file. Raw mode uses
 * the globs as given and excludes `_sigs/<name>.json` (the Go tool's `_sigs/.json` is a bug, 17.2
 * item 11: a raw signature whose globs cover `_sigs/**` would invalidate itself).
 */
export function addMatch(rules: AddRules): { name: string; match: PvsMatch } {
  const include = rules.include?.length ? rules.include : ["**"];
  const exclude = rules.exclude?.length ? rules.exclude : ["src.json"];
  checkGlobs([...include, ...exclude]);
  if (rules.part !== undefined) {
    const part = rules.part.replace(/\/+$/, "");
    if (part === "" || part.includes("\0") || part.split("/").some((s) => s === "" || s === "." || s === "..")) {
      throw PvrError.usage(`bad part name ${JSON.stringify(rules.part)}`);
    }
    const match = {
      include: [...include.map((g) => posix.join(part, g)), ...(rules.noConfig ? [] : [`_config/${part}/**`])],
      exclude: [...exclude.map((g) => posix.join(part, g)), sigKey(part)],
    };
    return { name: part, match };
  }
  const name = rules.raw as string;
  if (name === "" || name.includes("/") || name === "." || name === "..") {
    throw PvrError.usage(`bad signature name ${JSON.stringify(name)}: use a plain file name without '/'`);
  }
  return { name, match: { include: [...include], exclude: [...exclude, sigKey(name)] } };
}
