/**
 * `pvr init`: create `.pvr/` with config, the objects directory and the initial `.pvr/json`
 * (spec pvr-format 5.1), failing (with a non-zero exit, unlike the Go tool) if it exists.
 */
import { closeSync, existsSync, mkdirSync, openSync, rmSync, writeSync } from "node:fs";
import { join, resolve } from "node:path";
import { fromSystemError, PvrError } from "../errors";
import { writeFileDurable } from "../fsutil/durable";
import { ObjectStore } from "../objects/store";
import { DEFAULT_SPEC } from "../state/model";
import { emptyConfig, formatConfig } from "./config";

export interface InitOptions {
  dir: string;
  objectsDir: string;
  spec?: string;
}

export function initRepo(opts: InitOptions): { pvrDir: string; objectsDir: string } {
  const root = resolve(opts.dir);
  const pvrDir = join(root, ".pvr");
  if (existsSync(pvrDir)) {
    throw PvrError.failed(`pvr init: .pvr directory/file found (${pvrDir}). Cannot initialize an existing repository.`);
  }
  const objectsDir = resolve(opts.objectsDir);
  try {
    mkdirSync(root, { recursive: true, mode: 0o755 });
    mkdirSync(pvrDir, { mode: 0o755 });
  } catch (err) {
    throw fromSystemError(err, `cannot create ${pvrDir}`);
  }
  try {
    writeFileDurable(join(pvrDir, "config"), formatConfig(emptyConfig(objectsDir)));
    new ObjectStore(objectsDir).ensureDir();
    const spec = opts.spec ?? DEFAULT_SPEC;
    writeFileDurable(join(pvrDir, "json"), `{ "#spec": ${JSON.stringify(spec)} }`);
  } catch (err) {
    rmSync(pvrDir, { recursive: true, force: true });
    throw fromSystemError(err, `cannot initialise ${root}`);
  }
  return { pvrDir, objectsDir };
}

/** Writes `<configDir>/config.json` if missing, as the Go tool does on every start. */
export function ensureGlobalConfig(configDir: string): void {
  const p = join(configDir, "config.json");
  if (existsSync(p)) return;
  try {
    mkdirSync(configDir, { recursive: true, mode: 0o700 });
    const fd = openSync(p, "wx", 0o644);
    writeSync(fd, '{"Spec":"1","AutoUpgrade":false,"DistributionTag":"develop"}');
    closeSync(fd);
  } catch {
    // another process created it, or the directory is read-only: not fatal for any command
  }
}
