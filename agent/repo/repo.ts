/**
 * A checkout: finding `.pvr` (walking up from the current directory, like git), reading its
 * config, pristine state and staged files, and writing them back durably.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fromSystemError, PvrError } from "../errors";
import { writeFileDurable, removeIfExists } from "../fsutil/durable";
import { ObjectStore } from "../objects/store";
import { canonicalize } from "../state/canonical";
import { isJsonObject, type JsonValue, JsonSyntaxError, parseJson } from "../state/json";
import { checkState, type State } from "../state/model";
import { emptyConfig, formatConfig, parseConfig, type PvrConfig } from "./config";
import { RepoLock } from "./lock";
import { type Stamp, stampOf } from "./statcache";

export interface StagedFile {
  ForceObject: boolean;
  Sha: string;
}
export type Staged = Record<string, StagedFile>;

/** Reads a file as UTF-8 and parses it as JSON, naming the file and the position on failure. */
export function readJsonFile(path: string, label = path): JsonValue {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(readFileSync(path));
  } catch (err) {
    if (err instanceof TypeError) throw PvrError.badJson(`${label}: invalid UTF-8`);
    throw fromSystemError(err, `cannot read ${label}`);
  }
  try {
    return parseJson(text);
  } catch (err) {
    if (err instanceof JsonSyntaxError) throw PvrError.badJson(`${label}: invalid JSON: ${err.message}`);
    throw PvrError.badJson(`${label}: ${(err as Error).message}`);
  }
}

export class Repo {
  readonly pvrDir: string;
  readonly config: PvrConfig;
  readonly objects: ObjectStore;

  constructor(readonly root: string) {
    this.pvrDir = join(root, ".pvr");
    const cfgPath = join(this.pvrDir, "config");
    if (existsSync(cfgPath)) {
      try {
        this.config = parseConfig(readFileSync(cfgPath, "utf8"));
      } catch (err) {
        throw PvrError.badJson(`${cfgPath}: ${(err as Error).message}`);
      }
    } else this.config = emptyConfig();
    const od = this.config.ObjectsDir;
    this.objects = new ObjectStore(od === "" ? join(this.pvrDir, "objects") : isAbsolute(od) ? od : resolve(root, od));
  }

  /** Finds the checkout containing `start` by walking up to the first directory holding `.pvr/`. */
  static find(start: string): Repo {
    let dir = resolve(start);
    for (;;) {
      const candidate = join(dir, ".pvr");
      try {
        if (statSync(candidate).isDirectory()) return new Repo(dir);
      } catch {}
      const parent = dirname(dir);
      if (parent === dir) {
        throw PvrError.notRepo(`not a pvr repository (or any parent up to /): ${resolve(start)}; run 'pvr init' first`);
      }
      dir = parent;
    }
  }

  path(...parts: string[]): string {
    return join(this.pvrDir, ...parts);
  }

  lock(command: string): RepoLock {
    return RepoLock.acquire(this.pvrDir, command);
  }

  /** The stat stamp of `.pvr/json` as last read by pristine(), taken before reading it. */
  pristineStamp: Stamp | null = null;

  /** The committed state (`.pvr/json`). */
  pristine(): State {
    const p = this.path("json");
    try {
      this.pristineStamp = stampOf(statSync(p));
    } catch {
      throw PvrError.notRepo(`${p} is missing; the repository is not initialised`);
    }
    return checkState(readJsonFile(p, ".pvr/json"), ".pvr/json");
  }

  writePristine(state: State): void {
    writeFileDurable(this.path("json"), canonicalize(state));
  }

  staged(): Staged {
    const p = this.path("new");
    if (!existsSync(p)) return Object.create(null);
    const v = readJsonFile(p, ".pvr/new");
    if (!isJsonObject(v)) throw PvrError.badJson(".pvr/new: not a JSON object");
    const out: Staged = Object.create(null);
    for (const [k, e] of Object.entries(v)) {
      if (!isJsonObject(e)) throw PvrError.badJson(`.pvr/new: entry ${JSON.stringify(k)} is not an object`);
      out[k] = { ForceObject: e.ForceObject === true, Sha: typeof e.Sha === "string" ? e.Sha : "" };
    }
    return out;
  }

  writeStaged(staged: Staged): void {
    const obj = Object.create(null);
    for (const [k, e] of Object.entries(staged)) obj[k] = { ForceObject: e.ForceObject, Sha: e.Sha };
    writeFileDurable(this.path("new"), canonicalize(obj));
  }

  clearStaged(): void {
    removeIfExists(this.path("new"));
  }

  saveConfig(): void {
    writeFileDurable(this.path("config"), formatConfig(this.config));
  }
}
