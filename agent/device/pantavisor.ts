/**
 * The `pantavisor` device backend: everything goes through pv-ctrl (device.md 2, 6.3, 7).
 * Choices where the spec leaves room:
 * - current revision = device-meta `pantavisor.revision` (7.4): GET /steps/current returns the
 *   state JSON, not its name;
 * - install refuses to overwrite the running revision (PUT /steps/locals/<x> would reset it, 2.3.2);
 * - commit messages longer than 256 bytes (pv-ctrl answers 507) are truncated at a UTF-8
 *   character boundary — a long message should not fail a deployment; an empty one is not sent;
 * - run/commands retry 503 honouring Retry-After, at most `commandAttempts` times and within
 *   `maxRetryWaitMs` in total; a Retry-After past that budget fails at once (error code "locked");
 * - listRevisions passes on what GET /steps says: Pantavisor lists a progress file over 512 bytes
 *   (an ERROR with long logs) as {}, so read progress(rev) for the whole of it;
 * - meta values must be 1..4096 bytes (checked before sending); values pv-ctrl lists as JSON
 *   objects/arrays are returned re-serialised compactly (getMeta returns strings).
 */
import { PvrError } from "../errors";
import { parseJson } from "../state/json";
import { checkState, isObjectId, type State } from "../state/model";
import type { DeviceBackend, MetaKind, Progress, RevisionInfo } from "./backend";
import { type FollowOptions, followProgress } from "./follow";
import { type RetryOptions, sendCommand } from "./pvcommand";
import { checkPath, PvCtrlClient, PvCtrlError } from "./pvctrl";
import { checkLocalRev, checkRev } from "./revname";

export const COMMITMSG_MAX = 256;
export const META_VALUE_MAX = 4096;

export interface PantavisorOptions extends RetryOptions {
  socketPath: string;
  /** Per-request timeout (default 60 s). */
  timeoutMs?: number;
  follow?: FollowOptions;
}

/** The longest prefix of `s` that is at most `max` UTF-8 bytes and ends on a character. */
export function truncateUtf8(s: string, max: number): string {
  const b = Buffer.from(s, "utf8");
  if (b.length <= max) return s;
  let end = max;
  while (end > 0 && ((b[end] ?? 0) & 0xc0) === 0x80) end--;
  return b.subarray(0, end).toString("utf8");
}

export class PantavisorBackend implements DeviceBackend {
  readonly kind = "pantavisor" as const;
  readonly ctrl: PvCtrlClient;
  constructor(readonly opts: PantavisorOptions) {
    this.ctrl = new PvCtrlClient(opts.socketPath, { timeoutMs: opts.timeoutMs });
  }

  async currentRevision(signal?: AbortSignal): Promise<string> {
    const rev = (await this.getMeta("device", signal))["pantavisor.revision"];
    if (!rev) throw PvrError.failed("device-meta has no pantavisor.revision yet; is Pantavisor still starting?");
    return rev;
  }

  async revisionState(rev: string, signal?: AbortSignal): Promise<State | null> {
    const text = await this.ctrl.textOrNull(`/steps/${checkRev(rev)}`, signal);
    if (text === null) return null;
    try {
      return checkState(parseJson(text), `pv-ctrl state of ${rev}`);
    } catch (err) {
      if (err instanceof PvrError) throw err;
      throw PvrError.badJson(`pv-ctrl state of ${rev}: ${(err as Error).message}`);
    }
  }

  async listRevisions(signal?: AbortSignal): Promise<RevisionInfo[]> {
    const list = await this.ctrl.json<RevisionInfo[]>("/steps", signal);
    return list.map((r) => ({ name: r.name, date: r.date, commitmsg: r.commitmsg ?? "", progress: r.progress ?? {} }));
  }

  async install(rev: string, stateBytes: string, commitMsg: string | undefined, signal?: AbortSignal): Promise<void> {
    checkLocalRev(rev);
    if ((await this.getMeta("device", signal))["pantavisor.revision"] === rev) {
      throw PvrError.badState(`${rev} is the running revision; post under another name`);
    }
    await this.ctrl.request("PUT", `/steps/${rev}`, stateBytes, signal);
    const msg = truncateUtf8(commitMsg ?? "", COMMITMSG_MAX);
    if (msg) await this.ctrl.request("PUT", `/steps/${rev}/commitmsg`, msg, signal);
  }

  async run(rev: string, signal?: AbortSignal): Promise<void> {
    await this.command("LOCAL_RUN", checkRev(rev), signal);
  }

  /** LOCAL_RUN_COMMIT: run and reboot, so the revision ends DONE (a rollback point). */
  async runCommit(rev: string, signal?: AbortSignal): Promise<void> {
    await this.command("LOCAL_RUN_COMMIT", checkRev(rev), signal);
  }

  /** POST /commands, retrying 503 as the header asks (pvcommand.ts). */
  command(op: string, payload: string, signal?: AbortSignal): Promise<void> {
    return sendCommand(this.ctrl, op, payload, this.opts, signal);
  }

  async progress(rev: string, signal?: AbortSignal): Promise<Progress | null> {
    const text = await this.ctrl.textOrNull(`/steps/${checkRev(rev)}/progress`, signal);
    if (text === null || text.trim() === "") return null;
    try {
      return JSON.parse(text) as Progress;
    } catch {
      throw PvrError.badJson(`progress of ${rev} is not JSON: ${text.slice(0, 200)}`);
    }
  }

  /** Polls until `rev` is final; see follow.ts. */
  followProgress(rev: string, onUpdate: (p: Progress) => void, signal?: AbortSignal, opts?: FollowOptions): Promise<Progress> {
    return followProgress(this, checkRev(rev), onUpdate, signal, { ...this.opts.follow, ...opts });
  }

  async getMeta(kind: MetaKind, signal?: AbortSignal): Promise<Record<string, string>> {
    const raw = await this.ctrl.json<Record<string, unknown>>(`/${kind}-meta`, signal);
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(raw ?? {})) out[k] = typeof v === "string" ? v : JSON.stringify(v);
    return out;
  }

  async putMeta(kind: MetaKind, key: string, value: string, signal?: AbortSignal): Promise<void> {
    const bytes = Buffer.byteLength(value, "utf8");
    if (bytes < 1 || bytes > META_VALUE_MAX) {
      throw PvrError.usage(`${kind}-meta ${key}: values must be 1 to ${META_VALUE_MAX} bytes, this one is ${bytes} (delete a key to clear it)`);
    }
    await this.ctrl.request("PUT", metaPath(kind, key), value, signal);
  }

  async deleteMeta(kind: MetaKind, key: string, signal?: AbortSignal): Promise<boolean> {
    try {
      await this.ctrl.request("DELETE", metaPath(kind, key), undefined, signal);
      return true;
    } catch (err) {
      if (err instanceof PvCtrlError && err.status === 404) return false;
      throw err;
    }
  }

  /** Objects present on the device, from GET /objects (size is sent as a string). */
  async listObjects(signal?: AbortSignal): Promise<Map<string, number>> {
    const list = await this.ctrl.json<{ sha256: string; size: string }[]>("/objects", signal);
    return new Map(list.map((o) => [o.sha256, Number(o.size)]));
  }

  /**
   * PUT /objects/<sha>; the agent normally writes objects into <storage>/objects itself (2.6).
   * pv-ctrl can answer 200 after a failed write (2.3.1), so the size is checked afterwards.
   */
  async uploadObject(sha: string, file: string | Blob, signal?: AbortSignal): Promise<void> {
    if (!isObjectId(sha)) throw PvrError.usage(`object id ${JSON.stringify(sha)} is not 64 lowercase hex digits`);
    const blob = typeof file === "string" ? Bun.file(file) : file;
    await this.ctrl.request("PUT", `/objects/${sha}`, blob, signal, 0);
    const size = (await this.listObjects(signal)).get(sha);
    if (size !== blob.size) {
      throw PvrError.integrity(`object ${sha}: pv-ctrl accepted it but stored ${size ?? "no"} bytes of ${blob.size} (disk full?)`);
    }
  }
}

function metaPath(kind: MetaKind, key: string): string {
  if (!key || key.includes("/")) throw PvrError.usage(`${kind}-meta key ${JSON.stringify(key)} must be non-empty and without "/"`);
  const path = `/${kind}-meta/${key}`;
  checkPath(path);
  return path;
}
