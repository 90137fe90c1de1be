/**
 * Verification outcomes and their exit codes. The Go tool exits 13 for every verification
 * failure (spec pvr-format 12.5); we keep 13 for a signature that does not verify and give each
 * other problem its own code, so scripts and CI can tell them apart:
 *
 * | status       | exit | meaning                                                              |
 * |--------------|------|----------------------------------------------------------------------|
 * | invalid      | 13   | the signature does not verify with any trusted key (corrupt, forged)  |
 * | untrusted    | 15   | no trusted key: x5c chain rejected by --cacerts, or signed by another key |
 * | tampered     | 16   | signature valid, but a covered object's bytes do not match its sha    |
 * | stale        | 17   | authentic signature over different entries (covered entries changed)  |
 * | unverifiable | 17   | the signature selects no entry of this state (what it signed is gone) |
 * | uncovered    | 18   | an entry inside a signed part is neither included nor excluded        |
 *
 * When several problems occur the exit code is the most severe, in table order. The other codes
 * of `sig` are the spec's: 5 (add usage), 11/12 (unreadable key file / a directory), 123 (bad
 * update pattern), 125 (no such signature), 126 (update failed), 127 (signing failed).
 */
import { PvrError } from "../../errors";

export type SigStatus = "valid" | "invalid" | "untrusted" | "tampered" | "stale" | "unverifiable";
export type Problem = Exclude<SigStatus, "valid"> | "uncovered";

export const SIG_EXIT: Record<Problem, number> = {
  invalid: 13,
  untrusted: 15,
  tampered: 16,
  stale: 17,
  unverifiable: 17,
  uncovered: 18,
};

const SEVERITY: Problem[] = ["invalid", "untrusted", "tampered", "stale", "unverifiable", "uncovered"];

/** The exit code for a set of problems: 0 when there are none, else the most severe one's. */
export function exitFor(problems: Iterable<Problem>): number {
  let best = SEVERITY.length;
  for (const p of problems) best = Math.min(best, SEVERITY.indexOf(p));
  return best === SEVERITY.length ? 0 : SIG_EXIT[SEVERITY[best] as Problem];
}

/** A PvrError with an explicit exit code, for the sig command's spec-given codes. */
export class SigError extends PvrError {
  constructor(
    readonly exit: number,
    message: string,
  ) {
    super("failed", message);
  }
  override get exitCode(): number {
    return this.exit;
  }
}
