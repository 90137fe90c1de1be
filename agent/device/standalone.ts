/**
 * The standalone DeviceBackend, for a plain Linux host without Pantavisor: the agent keeps its
 * own trails under `<storage>/trails/<rev>/`, switches `trails/current` itself, and records
 * progress (NEW → INPROGRESS → DONE, INPROGRESS lasting `--settle-time`) in the database and
 * in each trail's `.pv/progress`.
 * user-meta and device-meta live in the database (4096-byte values). On first start it creates
 * the factory revision `0` with the empty state, so `pvr clone 127.0.0.1` works at once.
 * Device-meta `pantavisor.revision`, `pantavisor.mode` and `pantavisor.status` are kept up to
 * date like Pantavisor does, so tools that wait on them work here too.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { applyPlan } from "../deploy/apply";
import { planDeploy } from "../deploy/plan";
import { PvrError } from "../errors";
import type { ObjectStore } from "../objects/store";
import { canonicalize } from "../state/canonical";
import { isJsonObject, parseJson } from "../state/json";
import { DEFAULT_SPEC, type State } from "../state/model";
import type { AgentStore } from "../store";
import { META_VALUE_MAX } from "../store/meta";
import type { DeviceBackend, MetaKind, Progress, RevisionInfo } from "./backend";
import { trailDir } from "./revname";
import { sha256Hex } from "../util/digest";
import { hasTrail, markDone, PROGRESS, readCurrent, readProgressFile, switchCurrent, writeCommitMsg, writeProgressFile } from "./trails";

const sha256 = sha256Hex;

export class StandaloneBackend implements DeviceBackend {
  readonly kind = "standalone" as const;

  constructor(
    readonly storage: string,
    private readonly store: AgentStore,
    private readonly objects: ObjectStore,
    private readonly log: (line: string) => void = () => {},
    /** How long a run stays INPROGRESS before DONE (like Pantavisor's commit delay; 0 = at once). */
    private readonly settleMs = 0,
  ) {}

  private readonly settling = new Map<string, ReturnType<typeof setTimeout>>();

  /** Creates the factory revision and `trails/current` when missing; settles interrupted runs. */
  async init(): Promise<void> {
    if (!hasTrail(this.storage, "0")) {
      const state = parseJson(`{"#spec":"${DEFAULT_SPEC}"}`) as State;
      applyPlan(planDeploy(state, { objectsDir: this.objects.dir, has: () => false }), trailDir(this.storage, "0"), this.objects);
      this.log("created factory revision 0 (empty state)");
    }
    if (!this.store.revisions.get("0")) {
      this.store.revisions.put("0", sha256(this.readStateBytes("0") ?? ""), "", PROGRESS.factory);
      writeProgressFile(this.storage, "0", PROGRESS.factory);
      markDone(this.storage, "0");
    }
    let current = readCurrent(this.storage);
    if (current === null || !hasTrail(this.storage, current)) {
      switchCurrent(this.storage, "0");
      current = "0";
    }
    for (const r of this.store.revisions.unfinished(new Set(["DONE", "UPDATED", "WONTGO", "ERROR", "NEW"]))) {
      this.setProgress(r.name, r.name === current ? PROGRESS.done : PROGRESS.rollback);
    }
    this.publishRevision(current);
  }

  async currentRevision(): Promise<string> {
    const cur = readCurrent(this.storage);
    if (cur === null) throw PvrError.failed(`${this.storage}/trails/current is missing; restart the agent to repair it`);
    return cur;
  }

  private readStateBytes(rev: string): string | null {
    try {
      return readFileSync(join(trailDir(this.storage, rev), ".pvr", "json"), "utf8");
    } catch {
      return null;
    }
  }

  async revisionState(rev: string): Promise<State | null> {
    const text = this.readStateBytes(rev);
    if (text === null) return null;
    const v = parseJson(text);
    if (!isJsonObject(v)) throw PvrError.badState(`${rev}/.pvr/json is not a JSON object`);
    return v;
  }

  async listRevisions(): Promise<RevisionInfo[]> {
    return this.store.revisions.list().map((r) => ({ name: r.name, date: r.created, commitmsg: r.commitMsg, progress: r.progress ?? {} }));
  }

  async install(rev: string, stateBytes: string, commitMsg: string | undefined): Promise<void> {
    if (rev === readCurrent(this.storage)) throw PvrError.badState(`${rev} is the running revision; it cannot be replaced`);
    const have = this.readStateBytes(rev);
    if (have === null) {
      // The agent lays trails out before install; a bare call gets a deployment of its own.
      const state = parseJson(stateBytes) as State;
      applyPlan(planDeploy(state, { objectsDir: this.objects.dir, has: (s) => this.objects.has(s) }), trailDir(this.storage, rev), this.objects);
    } else if (canonicalize(parseJson(have)) !== canonicalize(parseJson(stateBytes))) {
      throw PvrError.badState(`trail ${rev} holds a different state than the one being installed`);
    }
    this.store.revisions.put(rev, sha256(stateBytes), commitMsg ?? "", PROGRESS.ready);
    if (commitMsg) writeCommitMsg(this.storage, rev, commitMsg);
    writeProgressFile(this.storage, rev, PROGRESS.ready);
  }

  async run(rev: string, signal?: AbortSignal): Promise<void> {
    if (!hasTrail(this.storage, rev) || !this.store.revisions.get(rev)) throw PvrError.notFound(`revision ${rev} is not installed`);
    signal?.throwIfAborted();
    this.setProgress(rev, PROGRESS.transitioning);
    switchCurrent(this.storage, rev);
    this.store.events.add("current", rev);
    this.log(`current revision is now ${rev}`);
    this.publishRevision(rev);
    if (this.settleMs <= 0) return this.finish(rev);
    this.settling.set(
      rev,
      setTimeout(() => {
        try {
          this.finish(rev);
        } catch (err) {
          this.log(`finishing ${rev} failed: ${(err as Error).message}`);
        }
      }, this.settleMs),
    );
  }

  private finish(rev: string): void {
    clearTimeout(this.settling.get(rev));
    this.settling.delete(rev);
    if (readCurrent(this.storage) !== rev) return void this.setProgress(rev, PROGRESS.rollback);
    this.setProgress(rev, PROGRESS.done);
    markDone(this.storage, rev);
  }

  /** Settles runs still waiting out their settle time. */
  close(): void {
    for (const rev of [...this.settling.keys()]) this.finish(rev);
  }

  private setProgress(rev: string, p: Progress): void {
    this.store.revisions.setProgress(rev, p);
    writeProgressFile(this.storage, rev, p);
    this.store.events.add("progress", `${rev} ${p.status} ${p["status-msg"]}`);
    this.log(`revision ${rev}: ${p.status} ${p["status-msg"]}`);
  }

  private publishRevision(rev: string): void {
    const m = this.store.meta;
    if (m.get("device", "pantavisor.revision") !== rev) m.put("device", "pantavisor.revision", rev);
    if (m.get("device", "pantavisor.mode") !== "local") m.put("device", "pantavisor.mode", "local");
    if (m.get("device", "pantavisor.status") !== "READY") m.put("device", "pantavisor.status", "READY");
  }

  async progress(rev: string): Promise<Progress | null> {
    return this.store.revisions.get(rev)?.progress ?? readProgressFile(this.storage, rev);
  }

  async getMeta(kind: MetaKind): Promise<Record<string, string>> {
    return this.store.meta.all(kind);
  }

  async putMeta(kind: MetaKind, key: string, value: string): Promise<void> {
    if (Buffer.byteLength(value) > META_VALUE_MAX) throw PvrError.usage(`${kind}-meta values are at most ${META_VALUE_MAX} bytes`);
    this.store.meta.put(kind, key, value);
    this.store.events.add(`${kind}-meta`, `put ${key}`);
  }

  async deleteMeta(kind: MetaKind, key: string): Promise<boolean> {
    const gone = this.store.meta.delete(kind, key);
    if (gone) this.store.events.add(`${kind}-meta`, `delete ${key}`);
    return gone;
  }
}
