/**
 * `pvr add`: stage files for the next commit in `.pvr/new` (spec pvr-format 5.2). Unlike the Go
 * tool, paths are relative to the current directory, a directory is added recursively, a
 * pattern that matches nothing is an error, and JSON files are checked to parse right away.
 */
import { type Stats, statSync } from "node:fs";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { fromSystemError, PvrError } from "../errors";
import { installAll } from "../objects/parallel";
import { hashFile } from "../objects/store";
import { syncFiles } from "../fsutil/sync";
import { isInlineJson } from "../state/model";
import { type Repo, readJsonFile } from "./repo";
import { StatCache } from "./statcache";
import { walkFiles, type WorkingFile } from "./working";

export interface AddOptions {
  cwd: string;
  patterns: string[];
  raw: boolean;
}

const GLOB_CHARS = /[*?[{]/;

function insideRepo(repo: Repo, abs: string): boolean {
  const rel = relative(repo.root, abs);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
}

function filesFor(repo: Repo, cwd: string, pattern: string): WorkingFile[] {
  const abs = resolve(cwd, pattern);
  if (!insideRepo(repo, abs)) throw PvrError.usage(`${pattern}: outside the repository ${repo.root}`);
  let st;
  try {
    st = statSync(abs);
  } catch {
    st = undefined;
  }
  if (st?.isDirectory()) return [...walkFiles(repo, abs)];
  if (st?.isFile()) {
    const rel = relative(repo.root, abs).split(sep).join("/");
    if (rel === ".pvr" || rel.startsWith(".pvr/")) throw PvrError.usage(`${pattern}: files inside .pvr cannot be added`);
    return [{ key: rel, abs }];
  }
  if (!GLOB_CHARS.test(pattern)) throw PvrError.notFound(`pathspec '${pattern}' did not match any files`);
  const glob = new Bun.Glob(pattern);
  const all = [...walkFiles(repo)];
  const matched = all.filter((f) => glob.match(relative(cwd, f.abs).split(sep).join("/")));
  if (matched.length === 0) throw PvrError.notFound(`pathspec '${pattern}' did not match any files`);
  return matched;
}

function statOrThrow(path: string): Stats {
  try {
    return statSync(path);
  } catch (err) {
    throw fromSystemError(err, `cannot read ${path}`);
  }
}

export async function addFiles(repo: Repo, opts: AddOptions): Promise<string[]> {
  const patterns = opts.patterns.length === 0 ? [repo.root] : opts.patterns;
  const files = new Map<string, WorkingFile>();
  for (const p of patterns) for (const f of filesFor(repo, opts.cwd, p)) files.set(f.key, f);

  const pristine = repo.pristine();
  const staged = repo.staged();
  const cache = StatCache.load(repo.pvrDir);
  const hashedAt = Date.now();
  const inline = (f: WorkingFile) => !opts.raw && isInlineJson(f.key, pristine[f.key]) && !staged[f.key]?.ForceObject;
  // JSON first, so a bad file fails before anything is stored
  for (const f of files.values()) if (inline(f)) readJsonFile(f.abs, f.key);

  // Like `git add`, the bytes go to the object store now (hashed while copied), so the commit
  // that follows finds them there and, through the stat cache, does not read the files again.
  repo.objects.ensureDir();
  const objects = [...files.values()].filter((f) => !inline(f)).map((f) => ({ f, st: statOrThrow(f.abs) }));
  const stored = await installAll(
    repo.objects,
    objects.map(({ f, st }) => ({ src: f.abs, size: st.size })),
  );
  syncFiles(
    repo.objects.dir,
    stored.filter((r) => r.fresh).map((r) => r.path),
  );
  objects.forEach(({ f, st }, i) => {
    const sha = (stored[i] as { sha: string }).sha;
    cache.record(f.key, st, sha, hashedAt);
    staged[f.key] = { ForceObject: opts.raw, Sha: sha };
  });
  for (const f of files.values()) if (inline(f)) staged[f.key] = { ForceObject: opts.raw, Sha: hashFile(f.abs).sha };
  repo.writeStaged(staged);
  cache.save();
  return [...files.keys()];
}
