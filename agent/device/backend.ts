/**
 * What the agent needs from the device it manages. Two implementations: `pantavisor` (talks to
 * Pantavisor's pv-ctrl unix socket, spec device.md section 2) and `standalone` (the agent keeps
 * its own trails and switches the current revision itself). Objects live in one store for both,
 * `<storage>/objects`, which the agent writes directly (device.md 2.6).
 */
import type { State } from "../state/model";

/** Pantavisor's progress JSON (device.md 7.1); extra fields are kept. */
export interface Progress {
  status: string;
  "status-msg": string;
  progress: number;
  retries?: number;
  logs?: string;
  [extra: string]: unknown;
}

/** Statuses after which a revision's progress no longer changes (pv_update_is_final). */
export const FINAL_STATUSES = new Set(["DONE", "UPDATED", "WONTGO", "ERROR"]);

export interface RevisionInfo {
  name: string;
  date: string;
  commitmsg: string;
  progress: Progress | Record<string, never>;
}

export type MetaKind = "user" | "device";

export interface DeviceBackend {
  readonly kind: "pantavisor" | "standalone";
  /** The running revision's name ("0", "locals/x", "3"). */
  currentRevision(signal?: AbortSignal): Promise<string>;
  /** A revision's state, or null when the device does not have it. */
  revisionState(rev: string, signal?: AbortSignal): Promise<State | null>;
  listRevisions(signal?: AbortSignal): Promise<RevisionInfo[]>;
  /**
   * Makes `rev` (a "locals/<name>" whose objects are all in the store, and whose trail the agent
   * has already laid out by hardlinks where the backend wants that) known to the device with
   * `stateBytes` as its exact `.pvr/json`, and its commit message.
   */
  install(rev: string, stateBytes: string, commitMsg: string | undefined, signal?: AbortSignal): Promise<void>;
  /** Asks the device to run `rev` (LOCAL_RUN); progress then moves on its own. */
  run(rev: string, signal?: AbortSignal): Promise<void>;
  progress(rev: string, signal?: AbortSignal): Promise<Progress | null>;
  getMeta(kind: MetaKind, signal?: AbortSignal): Promise<Record<string, string>>;
  /** Values are at most 4096 bytes (device.md 6.3). */
  putMeta(kind: MetaKind, key: string, value: string, signal?: AbortSignal): Promise<void>;
  /** false when the key did not exist. */
  deleteMeta(kind: MetaKind, key: string, signal?: AbortSignal): Promise<boolean>;
}
