/**
 * Payloads this checkout signed, kept in `.pvr/pvs/<sha256 of the signature>` when `sig add` or
 * `sig update` writes a signature. They are never trusted: verification only uses one after it
 * verifies against the signature with a trusted key, to show that a failing signature is stale
 * and which entries changed since signing, also for ECDSA signatures (which, unlike RSA ones,
 * do not reveal what they signed). Losing them only makes those messages less precise.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileDurable } from "../../fsutil/durable";

function pathFor(pvrDir: string, signature: string): string {
  return join(pvrDir, "pvs", createHash("sha256").update(signature).digest("hex"));
}

export function recordPayload(pvrDir: string, signature: string, payload: string): void {
  try {
    mkdirSync(join(pvrDir, "pvs"), { recursive: true });
    writeFileDurable(pathFor(pvrDir, signature), payload);
  } catch {
    // a read-only .pvr only costs message precision later
  }
}

export function recordedPayload(pvrDir: string, signature: string): string | undefined {
  const p = pathFor(pvrDir, signature);
  return existsSync(p) ? readFileSync(p, "utf8") : undefined;
}
