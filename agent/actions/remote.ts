/**
 * The remote description and the states a client reads (spec pvr-format 8.2, 8.3; device.md
 * 3.2 a/b). URLs are absolute, built from the base the client reached us at, because pvr uses
 * them verbatim. A per-revision remote lives under `<base>/revs/<rev>/`, so
 * `pvr clone http://IP:12368/cgi-bin/pvr/revs/locals/foo` clones that revision; posts from such
 * a clone still go to the device's `steps`.
 */
import { canonicalize } from "../state/canonical";
import type { State } from "../state/model";
import { checkRevisionName } from "../device/revname";
import { HttpError } from "../http-error";
import pkg from "../../package.json" with { type: "json" };
import type { AgentContext } from "./context";

export const PVR_SPEC = "pvr-pantahub-1";

/** PvrRemote JSON for the running revision (rev undefined) or a given one. */
export function pvrRemote(base: string, rev?: string): Record<string, unknown> {
  const stateUrl = rev === undefined ? `${base}/state` : `${base}/revs/${rev}/state`;
  const out: Record<string, unknown> = {
    "pvr-spec": PVR_SPEC,
    "json-get-url": stateUrl,
    "json-key": "state",
    "objects-endpoint": `${base}/objects`,
    // ours: the Go tool ignores it; pvr moves many objects per request through it (README)
    "objects-batch-endpoint": `${base}/objects`,
    "post-url": `${base}/steps`,
    "post-fields": ["commit-msg"],
    "post-fields-opt": ["rev"],
  };
  if (rev !== undefined) out["step-get-url"] = `${base}/steps/${rev}`;
  return out;
}

/** `current` (or nothing) means the running revision; anything else must be a valid name. */
export async function resolveRev(ctx: AgentContext, rev?: string, signal?: AbortSignal): Promise<string> {
  if (rev === undefined || rev === "current") return ctx.backend.currentRevision(signal);
  return checkRevisionName(rev);
}

export async function readState(ctx: AgentContext, rev?: string, signal?: AbortSignal): Promise<{ rev: string; state: State; bytes: string }> {
  const name = await resolveRev(ctx, rev, signal);
  const state = await ctx.backend.revisionState(name, signal);
  if (!state) throw HttpError.notFound(`revision ${name} does not exist on this device`);
  return { rev: name, state, bytes: canonicalize(state) };
}

/** The readiness document of `GET /cgi-bin/pvr`. */
export async function readiness(ctx: AgentContext, signal?: AbortSignal): Promise<Record<string, unknown>> {
  let revision: string | null = null;
  try {
    revision = await ctx.backend.currentRevision(signal);
  } catch {}
  return {
    "pvr-spec": PVR_SPEC,
    device: "pvr-agent",
    version: pkg.version,
    backend: ctx.backend.kind,
    revision,
    "read-only": ctx.config.readOnly,
    busy: ctx.runner.busy(),
  };
}
