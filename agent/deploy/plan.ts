/**
 * Deploy, step 1 (pure): merge the sources' states and turn the result into a list of typed
 * steps that build a trail directory (spec pvr-format 9.3, device.md 1.4 and 2.6). Everything
 * that can be checked without touching the disk is checked here, before anything is written:
 * safe keys (checkState), no key that is both a file and a directory, no key under `.pv/`,
 * every object available, and the boot files `bsp/run.json` names.
 *
 * Merging: sources apply in order. A source with `#parts` replaces those parts (and `-part`
 * removes one), as `pvr get` does. A source without parts replaces the parts it contains:
 * the first path segment of each key, except `_config/<app>/…` (part `_config/<app>`) and
 * top-level files or `_sigs/<name>.json`, which stand alone. So `deploy DIR a.tgz b.tgz` keeps
 * a's parts unless b ships a newer copy of them. `#spec` is the last non-empty one, else the
 * default; never "" (Go bug 17.2 item 9).
 */
import { PvrError } from "../errors";
import { canonicalize, canonicalString, compareKeys } from "../state/canonical";
import { type JsonValue, newObject } from "../state/json";
import { checkState, DEFAULT_SPEC, isInlineJson, SPEC_KEY, type State } from "../state/model";
import { applyGet, inPart, type Parts } from "../state/parts";
import { emptyConfig, formatConfig } from "../repo/config";
import { bootLinks } from "./bootlinks";

export interface DeploySource {
  label: string;
  state: State;
  parts: Parts;
}

export type DeployStep =
  | { kind: "mkdir"; path: string }
  | { kind: "link"; path: string; sha: string }
  | { kind: "copy"; path: string; sha: string }
  | { kind: "write"; path: string; text: string }
  | { kind: "bootlink"; path: string; target: string };

export interface DeployPlan {
  state: State;
  steps: DeployStep[];
  warnings: string[];
}

/** The part a key belongs to when its source names no parts. */
export function partOf(key: string): string {
  const i = key.indexOf("/");
  if (i < 0) return key;
  const first = key.slice(0, i);
  if (first === "_sigs") return key;
  if (first === "_config") {
    const j = key.indexOf("/", i + 1);
    return j < 0 ? key : key.slice(0, j);
  }
  return first;
}

/** True when `key` is one of `parts` or lies below one: each "/"-prefix of `key` is looked up. */
function inPartSet(key: string, parts: ReadonlySet<string>): boolean {
  if (parts.has(key)) return true;
  for (let i = key.indexOf("/"); i >= 0; i = key.indexOf("/", i + 1)) if (parts.has(key.slice(0, i))) return true;
  return false;
}

/**
 * A source without `#parts` replaces the parts it brings: what applyGet does with those parts
 * as `include`, in one pass over each side (a set lookup per key prefix instead of a scan of
 * every part for every key, which is quadratic when a source brings thousands of parts).
 */
function replaceBroughtParts(state: State, src: State, brought: string[], exclude: string[]): State {
  const out = newObject() as State;
  const local = Object.keys(state);
  const include = local.length ? new Set(brought.map(partOf)) : new Set<string>();
  for (const k of local) {
    if (k === SPEC_KEY || inPartSet(k, include) || (exclude.length && exclude.some((p) => inPart(k, p)))) continue;
    out[k] = state[k] as JsonValue;
  }
  for (const k of brought) out[k] = src[k] as JsonValue;
  return out;
}

export function mergeSources(sources: DeploySource[]): { state: State; warnings: string[] } {
  const only = sources.length === 1 ? sources[0] : undefined;
  const onlySpec = only?.state[SPEC_KEY];
  if (only && only.parts.include.length === 0 && only.parts.exclude.length === 0 && typeof onlySpec === "string" && onlySpec !== "") {
    // one whole source with a #spec: the merge is that state itself (no copy of every key)
    return { state: only.state, warnings: [] };
  }
  let state = newObject() as State;
  let spec: string | undefined;
  const warnings: string[] = [];
  for (const src of sources) {
    const { exclude } = src.parts;
    const brought = Object.keys(src.state).filter((k) => k !== SPEC_KEY && (exclude.length === 0 || !exclude.some((p) => inPart(k, p))));
    if (src.parts.include.length) state = applyGet(state, src.state, { include: src.parts.include, exclude });
    else if (brought.length) state = replaceBroughtParts(state, src.state, brought, exclude);
    else for (const k of Object.keys(state)) if (exclude.some((p) => inPart(k, p))) delete state[k];
    const s = src.state[SPEC_KEY];
    if (typeof s === "string" && s !== "") {
      if (spec !== undefined && spec !== s) warnings.push(`${src.label} has #spec ${s}, replacing ${spec}`);
      spec = s;
    }
  }
  state[SPEC_KEY] = spec ?? DEFAULT_SPEC;
  return { state, warnings };
}

/** Sorts keys by compareKeys; a state read from canonical JSON is already sorted (one pass). */
function sortKeys(keys: string[]): string[] {
  for (let i = 1; i < keys.length; i++) if (compareKeys(keys[i - 1] as string, keys[i] as string) > 0) return keys.sort(compareKeys);
  return keys;
}

/**
 * canonicalize(state) for a state whose keys other than #spec are given already sorted (by
 * compareKeys): the same bytes, without sorting thousands of keys a second time.
 */
function canonicalState(state: State, sorted: string[]): string {
  const out: string[] = [];
  const member = (k: string) => {
    const v = state[k] as JsonValue;
    out.push(`${canonicalString(k)}:${typeof v === "string" ? canonicalString(v) : canonicalize(v)}`);
  };
  let spec = SPEC_KEY in state;
  for (const k of sorted) {
    if (spec && compareKeys(SPEC_KEY, k) < 0) {
      member(SPEC_KEY);
      spec = false;
    }
    member(k);
  }
  if (spec) member(SPEC_KEY);
  return `{${out.join(",")}}`;
}

/**
 * Plans a deployment of `state`. `has(sha)` says whether an object can be linked; `objectsDir`
 * goes into the deployment's `.pvr/config`. `checked` says the state already passed checkState
 * (mergeSources over checked states keeps their keys and values), so it is not walked again.
 */
export function planDeploy(state: State, opts: { objectsDir: string; has: (sha: string) => boolean; checked?: boolean }): DeployPlan {
  if (!opts.checked) checkState(state, "deploy state");
  if (typeof state[SPEC_KEY] !== "string" || state[SPEC_KEY] === "") throw PvrError.badState("deploy state: #spec must be a non-empty string");
  const keys = sortKeys(Object.keys(state).filter((k) => k !== SPEC_KEY));
  const keySet = new Set(keys);
  const dirs = new Set<string>();
  const missing: string[] = [];
  const files: DeployStep[] = [];
  let lastParent = "";
  for (const key of keys) {
    if (key === ".pv" || key.startsWith(".pv/")) throw PvrError.unsafe(`deploy state: key ${JSON.stringify(key)} is inside .pv/, which holds the boot links`);
    // parent directories, shortest first; one already seen was checked when it was added, and
    // so were all of its own parents (sorted keys mostly share the previous key's parent)
    const slash = key.lastIndexOf("/");
    const parent = slash < 0 ? "" : key.slice(0, slash);
    if (parent !== lastParent) {
      lastParent = parent;
      for (let i = key.indexOf("/"); i >= 0; i = key.indexOf("/", i + 1)) {
        const d = key.slice(0, i);
        if (dirs.has(d)) continue;
        if (keySet.has(d)) throw PvrError.badState(`deploy state: ${JSON.stringify(d)} is both a file and the directory of ${JSON.stringify(key)}`);
        dirs.add(d);
      }
    }
    const value = state[key];
    if (isInlineJson(key, value)) files.push({ kind: "write", path: key, text: canonicalize(value ?? null) });
    else {
      const sha = (value as string).toLowerCase();
      if (!opts.has(sha)) missing.push(`${key} (${sha})`);
      // Pantavisor copies `.bind` keys instead of linking them (device.md 1.4).
      files.push({ kind: key.endsWith(".bind") ? "copy" : "link", path: key, sha });
    }
  }
  if (missing.length) {
    const more = missing.length > 5 ? ` and ${missing.length - 5} more` : "";
    throw PvrError.notFound(`objects missing from ${opts.objectsDir}: ${missing.slice(0, 5).join(", ")}${more}`);
  }
  const boot = bootLinks(state);
  const steps: DeployStep[] = [...[...dirs].sort(compareKeys).map((path): DeployStep => ({ kind: "mkdir", path })), ...files];
  steps.push({ kind: "mkdir", path: ".pvr" });
  steps.push({ kind: "write", path: ".pvr/json", text: canonicalState(state, keys) });
  steps.push({ kind: "write", path: ".pvr/config", text: formatConfig(emptyConfig(opts.objectsDir)) });
  steps.push({ kind: "mkdir", path: ".pv" });
  for (const l of boot.links) steps.push({ kind: "bootlink", path: l.link, target: l.target });
  return { state, steps, warnings: boot.warnings };
}
