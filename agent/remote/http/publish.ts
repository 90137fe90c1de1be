/**
 * `pvr put URL` and `pvr post URL` (spec pvr-format 8.5-8.7): R1, the remote's state as the
 * baseline, R5/R6 for the committed objects it lacks, then `PUT <json-get-url>` with the state
 * (put) or `POST <post-url>` with the envelope (post). Nothing is rolled back when the last step
 * fails; the uploaded objects simply stay on the remote, as with the Go tool.
 *
 * Remembered URLs: put sets DefaultPutUrl (and DefaultGetUrl when empty); post sets
 * DefaultPostUrl (and the other two when empty). The Go tool's saveWithError set DefaultPostUrl
 * on put by mistake (bug 17.2 item 5).
 */
import { PvrError } from "../../errors";
import type { Repo } from "../../repo/repo";
import { canonicalize } from "../../state/canonical";
import type { RemoteRef } from "../ref";
import { HttpClient, statusError } from "./client";
import type { TransferEvents } from "./pool";
import { buildEnvelope, type EnvelopeOptions, type PostResult, postRevision } from "./post";
import { getBaseline, openRemote, type Remote } from "./remote";
import { withHint } from "./source";
import { type UploadResult, uploadObjects } from "./upload";

export interface PublishOptions {
  http?: HttpClient;
  force?: boolean;
  jobs?: number;
  events?: TransferEvents;
  /** Status lines ("Synching baseline…"). */
  log?: (line: string) => void;
}

export interface PutRemoteResult extends UploadResult {
  remote: Remote;
}

export interface PostRemoteResult {
  remote: Remote;
  upload: UploadResult;
  post: PostResult;
  /** The exact bytes sent. */
  envelope: string;
}

function refuseParts(ref: RemoteRef, command: string): void {
  if (ref.fragment !== "") throw PvrError.usage(`pvr ${command} sends the whole committed state; #parts are not supported: #${ref.fragment}`);
}

async function upload(repo: Repo, ref: RemoteRef, opts: PublishOptions): Promise<{ remote: Remote; up: UploadResult }> {
  const state = repo.pristine();
  const remote = await withHint(ref, openRemote(ref.url, opts.http ?? new HttpClient()));
  opts.log?.("Synching baseline state with device");
  const baseline = await getBaseline(remote);
  const up = await uploadObjects(remote, state, repo.objects, baseline, { force: opts.force, jobs: opts.jobs, events: opts.events });
  return { remote, up };
}

export async function putRemote(repo: Repo, ref: RemoteRef, opts: PublishOptions = {}): Promise<PutRemoteResult> {
  refuseParts(ref, "put");
  const { remote, up } = await upload(repo, ref, opts);
  const url = remote.info.jsonGetUrl;
  if (url === "") throw PvrError.badJson(`${remote.url}: .pvrremote has no "json-get-url" to put the state to`);
  const body = canonicalize(repo.pristine());
  const res = await remote.http.send("PUT", url, {
    auth: true,
    headers: { "Content-Type": "application/json; charset=utf-8", Accept: "application/json" },
    body: () => body,
  });
  if (res.status < 200 || res.status > 299) throw await statusError("PUT", url, res);
  await res.body?.cancel().catch(() => {});
  repo.config.DefaultPutUrl = ref.url;
  if (repo.config.DefaultGetUrl === "") repo.config.DefaultGetUrl = ref.url;
  repo.saveConfig();
  return { ...up, remote };
}

export async function postRemote(repo: Repo, ref: RemoteRef, env: EnvelopeOptions, opts: PublishOptions = {}): Promise<PostRemoteResult> {
  refuseParts(ref, "post");
  buildEnvelope(repo.pristine(), "post", env); // bad --envelope/--rev fail before any request
  const { remote, up } = await upload(repo, ref, opts);
  const envelope = buildEnvelope(repo.pristine(), remote.info.jsonKey, env);
  opts.log?.(`Posting revision to ${remote.info.postUrl || remote.url}`);
  const post = await postRevision(remote, envelope);
  repo.config.DefaultPostUrl = ref.url;
  if (repo.config.DefaultGetUrl === "") repo.config.DefaultGetUrl = ref.url;
  if (repo.config.DefaultPutUrl === "") repo.config.DefaultPutUrl = ref.url;
  repo.saveConfig();
  return { remote, upload: up, post, envelope };
}
