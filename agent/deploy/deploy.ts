/**
 * `pvr deploy DIR [SOURCE[#parts] …]` as one call the CLI and the agent share: read the
 * sources, merge and plan (plan.ts), bring the objects into the deployment's store, then apply
 * (apply.ts). Sources are local: a checkout (or its `.pvr`, or a `json`+`objects/` directory,
 * via agent/remote/source.ts) or an export tarball, which is validated and read straight into
 * the deployment's store. Without sources, the current checkout's committed state is deployed.
 *
 * Unlike the Go tool, the result is built from the sources alone (an existing DIR is replaced,
 * not merged into), and DIR is refused when it exists, is not empty and is not a deployment
 * (no `.pvr/json`), or when it contains a source or the object store.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { fromSystemError, PvrError } from "../errors";
import { ObjectStore } from "../objects/store";
import { openSource } from "../remote/source";
import { readTarball } from "../remote/tarball";
import { resolveRef } from "../remote/ref";
import { Repo } from "../repo/repo";
import { NO_PARTS, parseFragment } from "../state/parts";
import { applyPlan, objectPath } from "./apply";
import { StoreDir } from "./storedir";
import { type DeployPlan, type DeploySource, mergeSources, planDeploy } from "./plan";

export interface DeployOptions {
  /** The deployment directory (a trail), resolved against `cwd`. */
  dir: string;
  /** `SOURCE[#parts]` references; empty deploys the checkout at `cwd`. */
  refs: string[];
  cwd: string;
  /** The store objects are linked from; `.pvr/config` of the deployment names it. */
  objectsDir: string;
  log?: (message: string) => void;
  warn?: (message: string) => void;
}

interface Loaded extends DeploySource {
  objectsDir: string;
  path: string;
}

/** `--objects`, else the existing deployment's ObjectsDir, else `<configDir>/objects` (Go). */
export function deployObjectsDir(dir: string, configDir: string, flag?: string): string {
  if (flag) return resolve(flag);
  if (existsSync(join(dir, ".pvr", "config"))) {
    const od = new Repo(dir).objects.dir;
    if (od !== join(dir, ".pvr", "objects")) return od;
  }
  return join(configDir, "objects");
}

function inside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel === "" || (rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

async function load(ref: string, cwd: string, store: ObjectStore, warn: (m: string) => void): Promise<Loaded> {
  const { path, fragment } = resolveRef(ref, cwd);
  const parts = parseFragment(fragment);
  let st;
  try {
    st = statSync(path);
  } catch (err) {
    throw fromSystemError(err, `cannot open ${path}`);
  }
  if (st.isFile()) {
    const state = await readTarball(path, store, { warn });
    return { label: ref, state, parts, objectsDir: store.dir, path };
  }
  const src = await openSource(path);
  src.close();
  return { label: ref, state: src.state, parts, objectsDir: src.objectsDir, path };
}

/**
 * Where the objects of a deployment are, found with one stat per distinct object as the plan
 * asks for them: in the store (with its permission bits, so the links of objects that are
 * already 0444 need no chmod), else in a source's objects directory (the last source wins).
 */
class ObjectLocator {
  /** sha -> the store object's permission bits, or FROM_SOURCE, or MISSING. */
  private readonly seen = new Map<string, number>();
  /** Objects only a source has: sha -> that source's objects directory. */
  readonly fromSource = new Map<string, string>();
  private readonly newestFirst: Loaded[];
  private readonly dir: StoreDir;

  constructor(
    private readonly store: ObjectStore,
    sources: Loaded[],
  ) {
    this.newestFirst = [...sources].reverse();
    this.dir = StoreDir.open(store.dir);
  }

  /** The store object's mode, or undefined when it is not there (or cannot be looked at). */
  private storeMode(sha: string): number | undefined {
    const fast = this.dir.mode(sha);
    if (fast !== undefined) return fast;
    const path = objectPath(this.store.dir, sha);
    try {
      return statSync(path, { throwIfNoEntry: false })?.mode;
    } catch {
      return undefined;
    }
  }

  has(sha: string): boolean {
    const known = this.seen.get(sha);
    if (known !== undefined) return known !== MISSING;
    const mode = this.storeMode(sha);
    if (mode !== undefined) {
      this.seen.set(sha, mode & 0o7777);
      return true;
    }
    const from = this.newestFirst.find((s) => existsSync(join(s.objectsDir, sha)));
    if (from) this.fromSource.set(sha, from.objectsDir);
    this.seen.set(sha, from ? FROM_SOURCE : MISSING);
    return from !== undefined;
  }

  close(): void {
    this.dir.close();
  }

  /** True for store objects that were 0444 when looked at: linking them needs no chmod. */
  readOnly(sha: string): boolean {
    return this.seen.get(sha) === 0o444;
  }
}

const FROM_SOURCE = -1;
const MISSING = -2;

/** Copies (and verifies) the objects only a source has into the store. */
function gatherObjects(objects: ObjectLocator, store: ObjectStore): void {
  let copied = 0;
  for (const [sha, dir] of objects.fromSource) {
    if (store.has(sha)) continue;
    store.installFile(join(dir, sha), { expected: sha, fsync: false });
    copied++;
  }
  if (copied) store.syncDir();
}

function checkTarget(dir: string, store: ObjectStore, sources: Loaded[]): void {
  for (const s of sources) if (inside(s.path, dir)) throw PvrError.unsafe(`source ${s.path} is inside ${dir}; deploying would delete it`);
  if (!existsSync(dir) || existsSync(join(dir, ".pvr", "json"))) return;
  if (statSync(dir).isDirectory() && readdirSync(dir).length === 0) return;
  throw PvrError.unsafe(`${dir} exists and is not a pvr deployment (no .pvr/json); remove it or choose another directory`);
}

export async function deploy(opts: DeployOptions): Promise<DeployPlan> {
  const dir = resolve(opts.cwd, opts.dir);
  const warn = opts.warn ?? (() => {});
  const store = new ObjectStore(resolve(opts.objectsDir));
  if (inside(store.dir, dir)) throw PvrError.unsafe(`the object store ${store.dir} is inside ${dir}; deploying would delete it`);
  const sources: Loaded[] = [];
  if (opts.refs.length === 0) {
    const repo = Repo.find(opts.cwd);
    sources.push({ label: repo.root, state: repo.pristine(), parts: NO_PARTS, objectsDir: repo.objects.dir, path: repo.root });
  }
  for (const ref of opts.refs) {
    opts.log?.(`   - deploying ${ref}`);
    sources.push(await load(ref, opts.cwd, store, warn));
  }
  checkTarget(dir, store, sources);
  const merged = mergeSources(sources);
  const objects = new ObjectLocator(store, sources);
  let plan: DeployPlan;
  try {
    // every source's state passed checkState when it was read (Repo.pristine, openSource, readTarball)
    plan = planDeploy(merged.state, { objectsDir: store.dir, has: (sha) => objects.has(sha), checked: true });
  } finally {
    objects.close();
  }
  for (const w of [...merged.warnings, ...plan.warnings]) warn(w);
  gatherObjects(objects, store);
  applyPlan(plan, dir, store, { warn, readOnly: (sha) => objects.readOnly(sha) });
  return plan;
}
