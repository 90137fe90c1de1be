/**
 * Following a revision's progress until it is final (DONE, UPDATED, WONTGO, ERROR; device.md
 * 7.1, 2.4 step 6). Works with any backend's `progress`. Outages are expected: a non-reboot
 * transition may restart Pantavisor's view of us, a reboot takes the socket away for a while, and
 * the agent itself may be restarted — it then calls `followProgress` again for its pending
 * revision (kept in its store) and picks up where the device is.
 * Start following after `install` (progress NEW): a revision whose progress is already final
 * (re-running a finished revision without re-installing it) resolves at once with that status.
 */
import { PvrError } from "../errors";
import { FINAL_STATUSES, type DeviceBackend, type Progress } from "./backend";
import { PvCtrlError } from "./pvctrl";
import { sleep } from "../util/sleep";

export interface FollowOptions {
  /** Time between polls (default 1000 ms). */
  intervalMs?: number;
  /** How long the device may stay unreachable before giving up (default 15 min: reboot + goals). */
  outageBudgetMs?: number;
  /** How long the revision may have no progress file before giving up (default 2 min). */
  missingBudgetMs?: number;
  /** Told about each failed poll that is being tolerated (for logs). */
  onTrouble?: (why: string) => void;
}


/** Errors worth waiting out: no answer at all, or Pantavisor busy/confused while coming back. */
export function isTransient(err: unknown): boolean {
  return err instanceof PvCtrlError && (err.unreachable || err.status === 500 || err.status === 503);
}

/**
 * Polls `rev`'s progress, calls `onUpdate` for every change (first value included) and resolves
 * with the final progress. Rejects when `signal` aborts or a budget runs out.
 */
export async function followProgress(
  source: Pick<DeviceBackend, "progress">,
  rev: string,
  onUpdate: (p: Progress) => void,
  signal?: AbortSignal,
  opts: FollowOptions = {},
): Promise<Progress> {
  const interval = opts.intervalMs ?? 1000;
  const outageBudget = opts.outageBudgetMs ?? 15 * 60_000;
  const missingBudget = opts.missingBudgetMs ?? 2 * 60_000;
  let last = "";
  let troubleSince: number | null = null;
  for (;;) {
    signal?.throwIfAborted();
    let p: Progress | null = null;
    let trouble: string | null = null;
    let budget = missingBudget;
    try {
      p = await source.progress(rev, signal);
      if (!p) trouble = `${rev} has no progress yet`;
    } catch (err) {
      if (signal?.aborted) throw err;
      if (isTransient(err)) {
        trouble = (err as Error).message;
        budget = outageBudget;
      } else if (err instanceof PvrError && err.code === "badJson") {
        trouble = err.message; // a progress file caught mid-write
      } else {
        throw err;
      }
    }
    if (p) {
      troubleSince = null;
      const key = JSON.stringify(p);
      if (key !== last) {
        last = key;
        onUpdate(p);
      }
      if (FINAL_STATUSES.has(p.status)) return p;
    } else {
      const now = Date.now();
      troubleSince ??= now;
      opts.onTrouble?.(trouble ?? "unknown");
      if (now - troubleSince > budget) {
        throw PvrError.failed(`gave up following ${rev} after ${Math.round((now - troubleSince) / 1000)} s: ${trouble}`);
      }
    }
    await sleep(interval, signal);
  }
}
