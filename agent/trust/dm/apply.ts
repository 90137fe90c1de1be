/**
 * `pvr dm-apply [prefix]` (spec pvr-format 14.2): for every `_dm` manifest of the working state
 * under `prefix`, rebuild the hash device from the data device with the recorded salt and uuid.
 * An unchanged result leaves the files alone (`- Unchanged verity format …`) and, unlike the Go
 * tool, does not stop the others; a changed one replaces the hash device, rewrites the manifest
 * and stages both. Manifests are processed in key order; failures are reported together.
 */
import { existsSync, renameSync, statSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { PvrError } from "../../errors";
import { hashFile } from "../../objects/store";
import { addFiles } from "../../repo/add";
import type { Repo } from "../../repo/repo";
import { canonicalize } from "../../state/canonical";
import { verityFormat } from "../verity";
import { checkDmNames, type DmLog, warnUncovered } from "./convert";
import { readJsonObject, writeCanonical } from "./files";

/** Working-state manifest keys: committed or staged `…/_dm/….json` files present on disk. */
export function manifestKeys(repo: Repo, prefix: string): string[] {
  const keys = new Set([...Object.keys(repo.pristine()), ...Object.keys(repo.staged())]);
  return [...keys].filter((k) => k.startsWith(prefix) && k.includes("/_dm/") && k.endsWith(".json") && existsSync(join(repo.root, k))).sort();
}

function sameBytes(a: string, b: string): boolean {
  if (!existsSync(a) || !existsSync(b) || statSync(a).size !== statSync(b).size) return false;
  return hashFile(a).sha === hashFile(b).sha;
}

async function applyOne(repo: Repo, key: string, log: DmLog): Promise<void> {
  const at = key.indexOf("/_dm/");
  const container = key.slice(0, at);
  const m = readJsonObject(join(repo.root, key), key);
  if (!m || typeof m.data_device !== "string" || typeof m.hash_device !== "string") {
    log.err(`warning: ${key} has no data_device and hash_device; skipped\n`);
    return;
  }
  checkDmNames(container, m.data_device);
  checkDmNames(container, m.hash_device);
  const data = join(repo.root, container, m.data_device);
  const hash = join(repo.root, container, m.hash_device);
  const fresh = `${hash}.pvr-new`;
  const r = verityFormat(data, fresh, {
    salt: typeof m.salt === "string" ? m.salt : undefined,
    uuid: typeof m.uuid === "string" ? m.uuid : undefined,
  });
  warnUncovered(r, `${container}/${m.data_device}`, log);
  const before = canonicalize(m);
  Object.assign(m, { type: "dm-verity", root_hash: r.rootHash, salt: r.salt, uuid: r.uuid });
  if (canonicalize(m) === before && sameBytes(fresh, hash)) {
    unlinkSync(fresh);
    log.out(`- Unchanged verity format ${key}\n`);
    return;
  }
  renameSync(fresh, hash);
  writeCanonical(join(repo.root, key), m);
  await addFiles(repo, { cwd: repo.root, patterns: [`${container}/${m.hash_device}`, key], raw: false });
  log.out(`- Updated ${key}\n`);
}

export async function dmApply(repo: Repo, prefix: string, log: DmLog): Promise<string[]> {
  const keys = manifestKeys(repo, prefix);
  const failed: string[] = [];
  for (const key of keys) {
    try {
      await applyOne(repo, key, log);
    } catch (err) {
      failed.push(`${key}: ${(err as Error).message}`);
      log.err(`- Failed ${key}: ${(err as Error).message}\n`);
    }
  }
  if (failed.length) throw PvrError.failed(`dm-apply failed for ${failed.length} of ${keys.length} manifests:\n${failed.join("\n")}`);
  if (keys.length === 0) log.err(`No _dm manifests${prefix ? ` under ${prefix}` : ""} in the working state\n`);
  return keys;
}
