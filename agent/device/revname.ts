/**
 * Revision names (device.md 1.5): factory `0`, Hub revisions `1`, `2`, … and local revisions
 * `locals/<name>`, where the agent allows only `[A-Za-z0-9._-]{1,64}` and never `.` or `..`
 * (Pantavisor itself checks less, a known gap). The post envelope's `rev` becomes a local name:
 *   "locals/x" → locals/x;  "x" or a number N ≥ 0 → locals/x, locals/N;
 *   absent, "", -1 (the Go client's default) → locals/pvr-<unix-ts>-<8 hex of state-sha>[-<n>].
 */
import { join } from "node:path";
import { PvrError } from "../errors";
import { JsonNumber, type JsonValue } from "../state/json";

const LOCAL_RE = /^[A-Za-z0-9._-]{1,64}$/;

export function isLocalName(name: string): boolean {
  return LOCAL_RE.test(name) && name !== "." && name !== "..";
}

/** Whether `rev` is a revision name the agent accepts in a URL or a request. */
export function isRevisionName(rev: string): boolean {
  if (/^(0|[1-9][0-9]{0,17})$/.test(rev)) return true;
  return rev.startsWith("locals/") && isLocalName(rev.slice(7));
}

/** A `locals/<name>` revision, else a badRef error (HTTP 400) (what pv-ctrl's PUT /steps accepts, safely). */
export function checkLocalRev(rev: string): string {
  if (!rev.startsWith("locals/") || !isLocalName(rev.slice(7))) {
    throw new PvrError("badRef", `invalid local revision ${JSON.stringify(rev)}: use locals/<name> with <name> of 1-64 letters, digits, '.', '_' or '-'`);
  }
  return rev;
}

/** Any revision name, or `current` (pv-ctrl resolves it), else a badRef error. */
export function checkRev(rev: string): string {
  return rev === "current" ? rev : checkRevisionName(rev);
}

export function checkRevisionName(rev: string): string {
  if (!isRevisionName(rev)) {
    throw new PvrError("badRef", `invalid revision name ${JSON.stringify(rev)}: use 0, a number, or locals/<name> with <name> of 1-64 letters, digits, '.', '_' or '-'`);
  }
  return rev;
}

/** The trail directory of a revision under a storage root. */
export function trailDir(storage: string, rev: string): string {
  return join(storage, "trails", ...checkRevisionName(rev).split("/"));
}

/** The local revision name a post asks for, or a generated one (see the module comment). */
export function postRevisionName(rev: JsonValue | undefined, stateSha: string, exists: (rev: string) => boolean, now = Date.now()): string {
  let wanted: string | undefined;
  if (typeof rev === "string" && rev !== "") wanted = rev.startsWith("locals/") ? rev : `locals/${rev}`;
  else if (rev instanceof JsonNumber) {
    if (!/^-?\d+$/.test(rev.text)) throw PvrError.usage(`"rev" must be an integer or a string, not ${rev.text}`);
    const n = BigInt(rev.text);
    if (n >= 0n) wanted = `locals/${n}`;
    else if (n !== -1n) throw PvrError.usage(`"rev" ${rev.text} is not a revision; use -1 (or omit it) for a device-assigned name`);
  } else if (rev !== undefined && rev !== null && rev !== "") throw PvrError.usage(`"rev" must be an integer or a string`);
  if (wanted !== undefined) return checkRevisionName(wanted);
  const base = `locals/pvr-${Math.floor(now / 1000)}-${stateSha.slice(0, 8)}`;
  if (!exists(base)) return base;
  for (let i = 2; ; i++) if (!exists(`${base}-${i}`)) return `${base}-${i}`;
}
