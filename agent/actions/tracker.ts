/**
 * Follows the progress of revisions that were asked to run until it is final (device.md 7.3),
 * mirroring each change into the revisions table and the event log. While it follows one, the
 * device counts as busy (Runner's busyElsewhere), so a second post gets 503. Following resumes
 * after an agent restart (an update may outlive the agent: a reboot, device.md 2.4) and gives up
 * after `staleMs` without a final status.
 */
import { type DeviceBackend, FINAL_STATUSES, type Progress } from "../device/backend";
import type { AgentStore } from "../store";

export class ProgressTracker {
  private readonly following = new Map<string, number>();
  private stopped = false;

  constructor(
    private readonly backend: DeviceBackend,
    private readonly store: AgentStore,
    private readonly log: (line: string) => void,
    private readonly opts: { intervalMs: number; staleMs: number } = { intervalMs: 500, staleMs: 15 * 60_000 },
  ) {}

  /** The revision being followed, if any. */
  busyWith(): string | null {
    for (const rev of this.following.keys()) return `update of ${rev}`;
    return null;
  }

  follow(rev: string): void {
    if (this.following.has(rev) || this.stopped) return;
    this.following.set(rev, Date.now());
    this.loop(rev).catch((err) => this.log(`progress tracking of ${rev} stopped: ${(err as Error).message}`));
  }

  /** Follows revisions the database still shows in flight (not NEW, not final, recent). */
  resume(): void {
    const since = Date.now() - this.opts.staleMs;
    for (const r of this.store.revisions.unfinished(FINAL_STATUSES)) {
      if (r.progress?.status !== "NEW" && Date.parse(r.updated) >= since) this.follow(r.name);
    }
  }

  stop(): void {
    this.stopped = true;
  }

  private async loop(rev: string): Promise<void> {
    const started = this.following.get(rev) ?? Date.now();
    try {
      while (!this.stopped) {
        let p: Progress | null = null;
        try {
          p = await this.backend.progress(rev);
        } catch (err) {
          this.log(`progress of ${rev}: ${(err as Error).message}`);
        }
        if (p) {
          // The standalone backend records its own progress; only changes are mirrored here.
          const known = this.store.revisions.get(rev)?.progress ?? null;
          if (JSON.stringify(known) !== JSON.stringify(p) && this.store.revisions.setProgress(rev, p)) {
            this.store.events.add("progress", `${rev} ${p.status} ${p["status-msg"]}`);
            this.log(`revision ${rev}: ${p.status} ${p["status-msg"]}`);
          }
          if (FINAL_STATUSES.has(p.status)) return;
        }
        if (Date.now() - started > this.opts.staleMs) {
          this.log(`revision ${rev}: no final status after ${Math.round(this.opts.staleMs / 1000)} s; no longer following it`);
          return;
        }
        await Bun.sleep(this.opts.intervalMs);
      }
    } finally {
      this.following.delete(rev);
    }
  }
}
