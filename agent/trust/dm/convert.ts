/**
 * `pvr dm-convert <container> <volume>` (spec pvr-format 14.1): protect a squashfs volume with
 * dm-verity. Computes `<container>/<volume>.hash` in TypeScript (no veritysetup needed) with a
 * fresh salt and uuid, writes the manifest `<container>/_dm/<volume>.json` (keeping members it
 * already had), stages both, and points run.json (and src.json's dm_enabled) at `dm:<volume>`.
 */
import { existsSync, mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { PvrError } from "../../errors";
import { addFiles } from "../../repo/add";
import type { Repo } from "../../repo/repo";
import { writeFileDurable } from "../../fsutil/durable";
import { keyProblem } from "../../state/model";
import { newObject } from "../../state/json";
import { verityFormat, type VerityResult } from "../verity";
import { dmifyRunJson, readJsonObject, srcJsonWithDm, writeCanonical } from "./files";

export interface DmLog {
  out: (line: string) => void;
  err: (line: string) => void;
}

export function checkDmNames(container: string, volume: string): void {
  for (const k of [`${container}/${volume}`, `${container}/_dm/${volume}.json`]) {
    const problem = keyProblem(k);
    if (problem) throw PvrError.usage(`${JSON.stringify(k)} is not a usable path: ${problem}`);
  }
}

export function warnUncovered(r: VerityResult, data: string, log: DmLog): void {
  if (r.uncoveredBytes) {
    log.err(`warning: ${data} is not a multiple of 4096 bytes; its last ${r.uncoveredBytes} bytes are not protected (veritysetup does the same); pad the image\n`);
  }
}

export async function dmConvert(repo: Repo, container: string, volume: string, log: DmLog): Promise<VerityResult> {
  log.out(`container=${container} volume=${volume}\n`);
  checkDmNames(container, volume);
  const dir = join(repo.root, container);
  const data = join(dir, volume);
  if (!existsSync(data) || !statSync(data).isFile()) throw PvrError.failed("volume could not be found; see --help");
  const manifestKey = `${container}/_dm/${volume}.json`;
  const manifestPath = join(repo.root, manifestKey);
  const manifest = readJsonObject(manifestPath, manifestKey) ?? newObject();
  const r = verityFormat(data, `${data}.hash`);
  warnUncovered(r, `${container}/${volume}`, log);
  Object.assign(manifest, { type: "dm-verity", data_device: volume, hash_device: `${volume}.hash`, root_hash: r.rootHash, salt: r.salt, uuid: r.uuid });
  mkdirSync(join(dir, "_dm"), { recursive: true, mode: 0o755 });
  writeCanonical(manifestPath, manifest);
  log.out(`- Updated ${manifestKey}\n`);
  await addFiles(repo, { cwd: repo.root, patterns: [`${container}/${volume}.hash`, manifestKey], raw: false });

  const runKey = `${container}/run.json`;
  const run = readJsonObject(join(repo.root, runKey), runKey);
  const found = run ? dmifyRunJson(run, volume) : "missing";
  if (run && found === "changed") {
    writeCanonical(join(repo.root, runKey), run);
    log.out(`- Updated ${runKey}\n`);
  } else if (found === "missing") log.err(`warning: ${runKey} does not reference ${volume}; point its volume at "dm:${volume}" yourself\n`);

  const src = readJsonObject(join(dir, "src.json"), `${container}/src.json`);
  if (src) writeFileDurable(join(dir, "src.json"), srcJsonWithDm(src, volume));
  return r;
}
