/**
 * Local repository sources (spec pvr-format 7.2): where `get`, `merge`, `clone` and `inspect`
 * read a state and its objects from, and where `put` writes them.
 *
 * - a checkout: a directory holding `.pvr/`; the state is `.pvr/json`, objects come from the
 *   store its `.pvr/config` names (the same rules as the checkout itself);
 * - a repository directory: `json` plus `objects/` (what `pvr put` writes), or a `.pvr`
 *   directory itself; a `config` file beside `json` may name another objects directory
 *   (relative to the directory's parent, as in the Go tool);
 * - an export tarball (any regular file): unpacked, validated and hashed into a temporary store
 *   by agent/remote/tarball.ts; `close()` removes it.
 * Every state is validated with checkState (safe keys, sha values) before a caller sees it.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { fromSystemError, PvrError } from "../errors";
import { ObjectStore } from "../objects/store";
import { parseConfig } from "../repo/config";
import { readJsonFile } from "../repo/repo";
import { checkState, type State } from "../state/model";

export interface RepoLayout {
  /** The directory holding `json` (a checkout's `.pvr`, or the repository directory). */
  repoDir: string;
  jsonPath: string;
  objectsDir: string;
  /** The checkout root when `repoDir` is a checkout's `.pvr`. */
  checkoutRoot?: string;
}

export interface Source {
  kind: "checkout" | "directory" | "tarball";
  /** The path, for messages. */
  label: string;
  state: State;
  objectsDir: string;
  /** Releases temporary files (tarballs); safe to call twice. */
  close(): void;
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Where the json and objects of repository directory `dir` are (it need not exist yet). */
export function repoLayout(dir: string): RepoLayout {
  const checkout = isDir(join(dir, ".pvr"));
  const repoDir = checkout ? join(dir, ".pvr") : dir;
  let objectsDir = join(repoDir, "objects");
  const cfgPath = join(repoDir, "config");
  if (existsSync(cfgPath)) {
    let od: string;
    try {
      od = parseConfig(readFileSync(cfgPath, "utf8")).ObjectsDir;
    } catch (err) {
      if (err instanceof Error && "code" in err) throw fromSystemError(err, `cannot read ${cfgPath}`);
      throw PvrError.badJson(`${cfgPath}: ${(err as Error).message}`);
    }
    if (od !== "") objectsDir = isAbsolute(od) ? od : resolve(repoDir, "..", od);
  }
  return { repoDir, jsonPath: join(repoDir, "json"), objectsDir, checkoutRoot: checkout ? dir : undefined };
}

/** Reads and validates the state of a checkout or repository directory. */
function openDirectory(path: string): Source {
  const layout = repoLayout(path);
  if (!existsSync(layout.jsonPath)) {
    throw PvrError.notFound(
      `${path} is not a pvr repository: it has neither .pvr/ nor a json file (expected a checkout, a repository directory or an export tarball)`,
    );
  }
  const state = checkState(readJsonFile(layout.jsonPath), layout.jsonPath);
  return {
    kind: layout.checkoutRoot ? "checkout" : "directory",
    label: path,
    state,
    objectsDir: layout.objectsDir,
    close() {},
  };
}

async function openTarball(path: string): Promise<Source> {
  const { readTarball } = await import("./tarball");
  const tmp = mkdtempSync(join(tmpdir(), "pvr-tmprepo-"));
  const close = () => rmSync(tmp, { recursive: true, force: true });
  try {
    const store = new ObjectStore(join(tmp, "objects"));
    const state = checkState(await readTarball(path, store), path);
    return { kind: "tarball", label: path, state, objectsDir: store.dir, close };
  } catch (err) {
    close();
    throw err;
  }
}

/** Opens the source at an absolute path (see resolveRef). */
export async function openSource(path: string): Promise<Source> {
  let st;
  try {
    st = statSync(path);
  } catch (err) {
    throw fromSystemError(err, `cannot open ${path}`);
  }
  if (st.isDirectory()) return openDirectory(path);
  if (st.isFile()) return openTarball(path);
  throw PvrError.badState(`${path} is neither a directory nor an export tarball`);
}
