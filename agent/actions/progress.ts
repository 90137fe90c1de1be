/**
 * Revisions and their progress (device.md 2.3.2, 7): the list, one revision's entry, its
 * progress JSON, and a watcher that yields each change until the status is final (the
 * Server-Sent Events route streams it).
 */
import { FINAL_STATUSES, type Progress, type RevisionInfo } from "../device/backend";
import { HttpError } from "../http-error";
import type { AgentContext } from "./context";
import { resolveRev } from "./remote";

export async function listRevisions(ctx: AgentContext, signal?: AbortSignal): Promise<RevisionInfo[]> {
  return ctx.backend.listRevisions(signal);
}

export async function revisionInfo(ctx: AgentContext, rev: string, signal?: AbortSignal): Promise<RevisionInfo & { current: boolean; "state-sha"?: string }> {
  const name = await resolveRev(ctx, rev, signal);
  const info = (await ctx.backend.listRevisions(signal)).find((r) => r.name === name);
  if (!info) throw HttpError.notFound(`revision ${name} does not exist on this device`);
  const current = (await ctx.backend.currentRevision(signal)) === name;
  const sha = ctx.store.revisions.get(name)?.stateSha;
  return { ...info, current, ...(sha ? { "state-sha": sha } : {}) };
}

export async function progressOf(ctx: AgentContext, rev: string, signal?: AbortSignal): Promise<Progress> {
  const name = await resolveRev(ctx, rev, signal);
  const p = await ctx.backend.progress(name, signal);
  if (!p) throw HttpError.notFound(`revision ${name} has no progress`);
  return p;
}

export function isFinal(p: Progress): boolean {
  return FINAL_STATUSES.has(p.status);
}

/** Yields the progress now and after every change, until it is final or `signal` aborts. */
export async function* watchProgress(ctx: AgentContext, rev: string, signal: AbortSignal, intervalMs = 500): AsyncGenerator<Progress> {
  let last = "";
  while (!signal.aborted) {
    const p = await progressOf(ctx, rev, signal);
    const text = JSON.stringify(p);
    if (text !== last) {
      last = text;
      yield p;
    }
    if (isFinal(p)) return;
    await Bun.sleep(intervalMs);
  }
}
