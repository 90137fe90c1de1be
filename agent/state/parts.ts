/**
 * Parts: the `#a,b,-c` fragment grammar of repository references (spec pvr-format 6.3) and how
 * a selection of an incoming state is applied to a local one by `get` (replace the parts) and
 * `merge` (RFC 7386 deep merge). Pure functions; no I/O.
 *
 * Choices, where the Go tool is buggy or silent:
 * - A part `p` selects the keys equal to `p` or below `p/`, for the local side too: `#app` never
 *   touches `app2/...` or `app.json` (Go bug 17.2 item 4 used a raw prefix locally).
 * - `-p` removes the part from the result: from the incoming selection and from the local state.
 * - Renames (develop branch, fastcopy `src#a,b dst#c,d`): with destination names, a key
 *   `a/x` of the n-th part arrives as `c/x`; the local side replaces the destination parts.
 * - `#spec` never belongs to a part. Without positive parts the incoming `#spec` wins; with
 *   parts the local one stays. The result always has a string `#spec`.
 * - Empty items (`#a,,b`), a bare `-` and unsafe part names are usage errors.
 */
import { PvrError } from "../errors";
import type { JsonValue } from "./json";
import { newObject } from "./json";
import { applyMergePatch } from "./mergepatch";
import { DEFAULT_SPEC, keyProblem, SPEC_KEY, type State } from "./model";

export interface Parts {
  /** Positive parts; empty means "everything". No trailing "/". */
  include: string[];
  /** `-part` items. */
  exclude: string[];
  /** Destination names for `include`, position by position (renames). */
  rename?: string[];
}

export const NO_PARTS: Parts = Object.freeze({ include: [], exclude: [] }) as Parts;

/** Splits `base#fragment` at the first `#`; later `#`s belong to the fragment (as in Go). */
export function splitRef(ref: string): { base: string; fragment: string } {
  const i = ref.indexOf("#");
  return i < 0 ? { base: ref, fragment: "" } : { base: ref.slice(0, i), fragment: ref.slice(i + 1) };
}

function partName(item: string, fragment: string): string {
  const name = item.replace(/\/+$/, "");
  if (name === "") throw PvrError.usage(`empty part in fragment ${JSON.stringify(`#${fragment}`)}`);
  const problem = name === SPEC_KEY ? "#spec is not a part" : keyProblem(name);
  if (problem) throw PvrError.usage(`bad part ${JSON.stringify(item)} in fragment: ${problem}`);
  return name;
}

/** Parses `a,b,-c` (without the `#`). An empty fragment selects everything. */
export function parseFragment(fragment: string): Parts {
  const parts: Parts = { include: [], exclude: [] };
  if (fragment === "") return parts;
  for (const item of fragment.split(",")) {
    if (item.startsWith("-")) parts.exclude.push(partName(item.slice(1), fragment));
    else parts.include.push(partName(item, fragment));
  }
  return parts;
}

export function parseRef(ref: string): { base: string; parts: Parts } {
  const { base, fragment } = splitRef(ref);
  return { base, parts: parseFragment(fragment) };
}

/** Adds destination names (`c,d`) for the positive parts; counts must match. */
export function withRenames(parts: Parts, destFragment: string): Parts {
  const dest = parseFragment(destFragment);
  if (dest.exclude.length) throw PvrError.usage("destination parts cannot be removals ('-part')");
  if (dest.include.length !== parts.include.length) {
    throw PvrError.usage(
      `${parts.include.length} source part(s) but ${dest.include.length} destination name(s); give one name per part, in order`,
    );
  }
  return { ...parts, rename: dest.include };
}

/** True when `key` is the part itself or lies below it. */
export function inPart(key: string, part: string): boolean {
  return key === part || key.startsWith(`${part}/`);
}

function inAny(key: string, parts: string[]): boolean {
  return parts.some((p) => inPart(key, p));
}

/** The incoming keys the parts select, renamed to their destination names. */
export function selectParts(incoming: State, parts: Parts): State {
  const out = newObject() as State;
  const { include, exclude, rename } = parts;
  for (const key of Object.keys(incoming)) {
    const value = incoming[key] as JsonValue;
    if (key === SPEC_KEY) {
      if (include.length === 0) out[key] = value;
      continue;
    }
    if (inAny(key, exclude)) continue;
    if (include.length === 0) out[key] = value;
    include.forEach((p, i) => {
      if (inPart(key, p)) out[rename ? rename[i] + key.slice(p.length) : key] = value;
    });
  }
  return out;
}

/** The names the selected parts have on the local side. */
function destParts(parts: Parts): string[] {
  return parts.rename ?? parts.include;
}

function finishSpec(result: State, local: State, incoming: State, incomingWins: boolean): State {
  const pick = (s: State) => (typeof s[SPEC_KEY] === "string" ? (s[SPEC_KEY] as string) : undefined);
  result[SPEC_KEY] = (incomingWins ? (pick(incoming) ?? pick(local)) : (pick(local) ?? pick(incoming))) ?? DEFAULT_SPEC;
  return result;
}

/** `get`: drop the local keys of the (destination) parts, or all without parts, then add the selection. */
export function applyGet(local: State, incoming: State, parts: Parts = NO_PARTS): State {
  const dest = destParts(parts);
  const out = newObject() as State;
  if (dest.length > 0) {
    for (const key of Object.keys(local)) {
      if (key === SPEC_KEY || inAny(key, dest) || inAny(key, parts.exclude)) continue;
      out[key] = local[key] as JsonValue;
    }
  }
  const selected = selectParts(incoming, parts);
  for (const key of Object.keys(selected)) if (key !== SPEC_KEY) out[key] = selected[key] as JsonValue;
  return finishSpec(out, local, incoming, dest.length === 0);
}

/** `merge`: drop the local keys of `-parts`, then RFC 7386 merge the selection into the rest. */
export function applyMerge(local: State, incoming: State, parts: Parts = NO_PARTS): State {
  const base = newObject() as State;
  for (const key of Object.keys(local)) {
    if (key !== SPEC_KEY && inAny(key, parts.exclude)) continue;
    base[key] = local[key] as JsonValue;
  }
  const selected = selectParts(incoming, parts);
  const merged = applyMergePatch(base, selected) as State;
  return finishSpec(merged, local, incoming, destParts(parts).length === 0 && typeof selected[SPEC_KEY] === "string");
}
