/**
 * `pvr get` and `pvr merge` (spec pvr-format 7.1, 7.2, 7.4): take the selected parts of a source
 * state into a checkout's committed state (`.pvr/json`). The working tree is not touched; the
 * user runs `pvr checkout` afterwards, as with the Go tool. The caller holds the repository lock.
 *
 * Order: resolve the ref, read and validate the source state, compute and validate the result,
 * copy (and verify) the selected objects, then write `.pvr/json` last, so any failure leaves the
 * committed state as it was (at most some verified extra objects in the store).
 *
 * HTTP remotes (spec 7.3) work the same way: the state comes first (R1, R2), then only the
 * objects the selection needs and the store lacks are downloaded and verified (http/objects.ts);
 * any object that fails is reported by name and `.pvr/json` stays as it was.
 *
 * Remembered repository (spec 2.2, 6.2): on success `DefaultGetUrl` is set to the ref, with the
 * local path made absolute (or the resolved URL) and the fragment kept; `get`/`merge` without an
 * argument read `DefaultGetUrl` (the Go tool reads `DefaultPutUrl` there, bug 17.2 item 5).
 * For remote sources `DefaultPutUrl` and `DefaultPostUrl` are set to the URL (no fragment) when
 * empty, as in the Go tool; local sources leave them alone.
 */
import { PvrError } from "../errors";
import type { Repo } from "../repo/repo";
import { applyGet, applyMerge, parseFragment, selectParts, withRenames } from "../state/parts";
import { checkState, type State } from "../state/model";
import type { CopyTo } from "./http/batch";
import type { HttpClient } from "./http/client";
import type { TransferEvents } from "./http/pool";
import { type HttpSource, openHttpSource } from "./http/source";
import { resolveAnyRef } from "./ref";
import { openSource, type Source } from "./source";
import { transferObjects } from "./transfer";

export interface GetOptions {
  merge: boolean;
  /** Destination names for the parts (`c,d` for `#a,b`): renames. */
  renameTo?: string;
  /** Progress lines (stderr) for local sources. */
  log?: (line: string) => void;
  /** For HTTP remotes: the client, parallel downloads, progress events, --repo-baseurl. */
  http?: HttpClient;
  jobs?: number;
  events?: TransferEvents;
  repoBaseUrl?: string;
  /** HTTP remotes: also write arriving objects here (clone's new working tree). */
  copyTo?: CopyTo;
}

export interface GetResult {
  copied: number;
  cached: number;
  state: State;
  /** The remembered ref (absolute path plus fragment). */
  remembered: string;
}

/** The ref `get`/`merge` use when none is given. */
export function defaultGetRef(repo: Repo, command: string): string {
  const ref = repo.config.DefaultGetUrl;
  if (ref === "") {
    throw PvrError.usage(`no repository given and none remembered (DefaultGetUrl in .pvr/config is empty); run 'pvr ${command} REPO' once`);
  }
  return ref;
}

export async function getRepo(repo: Repo, ref: string, cwd: string, opts: GetOptions): Promise<GetResult> {
  const resolved = resolveAnyRef(ref, cwd, { repoBaseUrl: opts.repoBaseUrl });
  let parts = parseFragment(resolved.fragment);
  if (opts.renameTo !== undefined) parts = withRenames(parts, opts.renameTo);
  const local = repo.pristine();
  const source: Source | HttpSource = resolved.kind === "http" ? await openHttpSource(resolved, opts.http) : await openSource(resolved.path);
  try {
    const result = checkState(
      opts.merge ? applyMerge(local, source.state, parts) : applyGet(local, source.state, parts),
      `result of ${opts.merge ? "merge" : "get"}`,
    );
    const selected = selectParts(source.state, parts);
    const { copied, cached } =
      source.kind === "http"
        ? await source.fetchObjects(selected, repo.objects, { jobs: opts.jobs, events: opts.events, copyTo: opts.copyTo })
        : transferObjects(selected, source.objectsDir, repo.objects, {
            label: source.label,
            log: opts.log && ((key, _sha, hit) => opts.log?.(`${key} [OK${hit ? " cache" : ""}]`)),
          });
    repo.writePristine(result);
    repo.config.DefaultGetUrl = resolved.remembered;
    if (resolved.kind === "http") {
      if (repo.config.DefaultPutUrl === "") repo.config.DefaultPutUrl = resolved.url;
      if (repo.config.DefaultPostUrl === "") repo.config.DefaultPostUrl = resolved.url;
    }
    repo.saveConfig();
    return { copied, cached, state: result, remembered: resolved.remembered };
  } finally {
    source.close();
  }
}
