/**
 * The version string: package.json's version plus the git commit, embedded at build time by
 * `bun build --define PVR_COMMIT=...`, or read from .git when running from source.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import pkg from "../package.json" with { type: "json" };

declare const PVR_COMMIT: string | undefined;

function commitFromGit(): string {
  try {
    const gitDir = join(import.meta.dir, "..", ".git");
    const head = readFileSync(join(gitDir, "HEAD"), "utf8").trim();
    if (!head.startsWith("ref: ")) return head.slice(0, 12);
    const ref = head.slice(5);
    try {
      return readFileSync(join(gitDir, ref), "utf8").trim().slice(0, 12);
    } catch {
      const packed = readFileSync(join(gitDir, "packed-refs"), "utf8");
      const line = packed.split("\n").find((l) => l.endsWith(` ${ref}`));
      return line ? line.slice(0, 12) : "unknown";
    }
  } catch {
    return "unknown";
  }
}

export function versionString(): string {
  const commit = typeof PVR_COMMIT === "string" ? PVR_COMMIT : commitFromGit();
  return `pvr version ${pkg.version} (${commit})`;
}
