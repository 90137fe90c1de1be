/**
 * An HTTP remote as a source for `get`, `merge`, `clone` and `inspect` (spec pvr-format 7.3): R1
 * and R2 give the state up front; objects are fetched on demand into a local store
 * (objects.ts) once the caller knows which ones the result needs. The source's `#parts` are
 * applied client-side; the server never sees the fragment.
 */
import { PvrError } from "../../errors";
import type { ObjectStore } from "../../objects/store";
import type { State } from "../../state/model";
import { guessHint, type RemoteRef } from "../ref";
import { HttpClient } from "./client";
import { type DownloadOptions, type DownloadResult, downloadObjects } from "./objects";
import { getRemoteState, openRemote, type Remote } from "./remote";

export interface HttpSource {
  kind: "http";
  label: string;
  state: State;
  remote: Remote;
  /** Brings the objects of `state` (a selection of this source's state) into `store`. */
  fetchObjects(state: State, store: ObjectStore, opts?: DownloadOptions): Promise<DownloadResult>;
  close(): void;
}

/** Adds the guess hint to connection failures of a name that was only guessed to be remote. */
export function withHint<T>(ref: RemoteRef, p: Promise<T>): Promise<T> {
  return p.catch((err) => {
    if (err instanceof PvrError && ref.guessedFrom && (err.code === "failed" || err.code === "notFound")) {
      throw new PvrError(err.code, `${err.message}${guessHint(ref)}`);
    }
    throw err;
  });
}

export async function openHttpSource(ref: RemoteRef, http: HttpClient = new HttpClient()): Promise<HttpSource> {
  const remote = await withHint(ref, openRemote(ref.url, http));
  const state = await getRemoteState(remote);
  return {
    kind: "http",
    label: ref.url,
    state,
    remote,
    fetchObjects: (selected, store, opts) => downloadObjects(remote, selected, store, opts),
    close() {},
  };
}
