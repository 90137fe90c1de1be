/**
 * `pvr add`: stage files for the next commit in `.pvr/new` (spec pvr-format 5.2). Unlike the Go
 * tool, paths are relative to the current directory, a directory is added recursively, a
 * pattern that matches nothing is an error, and JSON files are checked to parse right away.
 */
import { statSync } from "node:fs";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { fromSystemError, PvrError } from "../errors";
import { hashFile } from "../objects/store";
import { type Repo, readJsonFile } from "./repo";
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

export function addFiles(repo: Repo, opts: AddOptions): string[] {
  const patterns = opts.patterns.length === 0 ? [repo.root] : opts.patterns;
  const files = new Map<string, WorkingFile>();
  for (const p of patterns) for (const f of filesFor(repo, opts.cwd, p)) files.set(f.key, f);

  const pristine = repo.pristine();
  const staged = repo.staged();
  for (const f of files.values()) {
    if (f.key.endsWith(".json") && !opts.raw && !(f.key in pristine && typeof pristine[f.key] === "string")) {
      readJsonFile(f.abs, f.key);
    }
    let sha: string;
    try {
      sha = hashFile(f.abs).sha;
    } catch (err) {
      throw fromSystemError(err, `cannot read ${f.abs}`);
    }
    staged[f.key] = { ForceObject: opts.raw, Sha: sha };
  }
  repo.writeStaged(staged);
  return [...files.keys()];
}
