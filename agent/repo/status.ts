/**
 * Comparing the pristine state with the working state: `status` letters (A, D, C, ?) and the
 * RFC 7386 merge patch that `diff` prints (spec pvr-format 5.3, 5.4). Status compares values
 * directly, so a new `.json` file containing `null` is reported as added, not removed.
 */
import { compareKeys, jsonEqual } from "../state/canonical";
import type { JsonValue } from "../state/json";
import { createMergePatch } from "../state/mergepatch";
import { SPEC_KEY, type State } from "../state/model";

export interface Changes {
  added: string[];
  removed: string[];
  changed: string[];
}

export function computeChanges(pristine: State, working: State): Changes {
  const added: string[] = [];
  const removed: string[] = [];
  const changed: string[] = [];
  for (const k of Object.keys(working)) {
    if (k === SPEC_KEY) continue;
    if (!(k in pristine)) added.push(k);
    else if (!jsonEqual(pristine[k], working[k])) changed.push(k);
  }
  for (const k of Object.keys(pristine)) if (k !== SPEC_KEY && !(k in working)) removed.push(k);
  added.sort(compareKeys);
  removed.sort(compareKeys);
  changed.sort(compareKeys);
  return { added, removed, changed };
}

export function hasChanges(c: Changes): boolean {
  return c.added.length + c.removed.length + c.changed.length > 0;
}

/** Status lines in the Go tool's letter order (A, D, C, ?), each group sorted by path. */
export function statusLines(c: Changes, untracked: string[]): string[] {
  return [
    ...c.added.map((p) => `A ${p}`),
    ...c.removed.map((p) => `D ${p}`),
    ...c.changed.map((p) => `C ${p}`),
    ...[...untracked].sort(compareKeys).map((p) => `? ${p}`),
  ];
}

export function diffPatch(pristine: State, working: State): JsonValue {
  return createMergePatch(pristine, working);
}
