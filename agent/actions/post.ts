/**
 * `POST steps`: install and run a posted revision (device.md 3.3; spec pvr-format 8.6).
 * 1. the envelope's state is under `state`, `post` or `json`; `#spec` must be a Pantavisor one
 *    and every key safe (checkState); 2. the revision name follows revname.ts; 3. every object
 *    must be in the store, else 400 naming each missing `<key> <sha>`; 4. the trust step
 *    (trust.ts: 422 when a configured policy refuses it, else only reported); then, inside the runner
 *    (one transition at a time, 503 otherwise): 5. 409 when the name is the running revision;
 *    6. the trail `<storage>/trails/locals/<name>/` is laid out by hardlinks (built aside,
 *    renamed into place); 7. backend.install, 8. backend.run (unless `run: false`, for
 *    `pvr put`). Validation failures change nothing on disk.
 */
import { existsSync, rmSync } from "node:fs";
import { applyPlan } from "../deploy/apply";
import { fsyncDir } from "../fsutil/durable";
import { planDeploy } from "../deploy/plan";
import { COMMITMSG_MAX, truncateUtf8 } from "../device/pantavisor";
import { postRevisionName, trailDir } from "../device/revname";
import { HttpError } from "../http-error";
import { sha256Hex } from "../util/digest";
import { canonicalize } from "../state/canonical";
import { isJsonObject, type JsonValue } from "../state/json";
import { checkState, isInlineJson, SPEC_KEY, type State } from "../state/model";
import type { TrustVerdict } from "../trust/policy";
import type { AgentContext } from "./context";
import { trustStep } from "./trust";

export const STATE_KEYS = ["state", "post", "json"];
export const SPECS = ["pantavisor-service-system@1", "pantavisor-multi-platform@1"];

export interface Posted {
  rev: string;
  stateSha: string;
  trust: TrustVerdict;
}

/** The state of an envelope, validated; throws 400 with the reason. */
export function envelopeState(envelope: JsonValue): State {
  if (!isJsonObject(envelope)) throw HttpError.badRequest("the post body must be a JSON object");
  const key = STATE_KEYS.find((k) => envelope[k] !== undefined);
  if (!key) throw HttpError.badRequest(`the post body has no state (expected one of ${STATE_KEYS.map((k) => `"${k}"`).join(", ")})`);
  const state = checkState(envelope[key] as JsonValue, `"${key}"`);
  const spec = state[SPEC_KEY];
  if (typeof spec !== "string" || !SPECS.includes(spec)) throw HttpError.badRequest(`unsupported #spec ${JSON.stringify(spec ?? null)}; expected ${SPECS.join(" or ")}`);
  return state;
}

/** Cuts a commit message to Pantavisor's 256-byte limit at a character boundary. */
function commitMessage(v: JsonValue | undefined): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw HttpError.badRequest('"commit-msg" must be a string');
  return truncateUtf8(v, COMMITMSG_MAX) || undefined;
}

export function missingObjects(ctx: AgentContext, state: State): string[] {
  const missing: string[] = [];
  for (const [k, v] of Object.entries(state)) {
    if (k === SPEC_KEY || isInlineJson(k, v)) continue;
    const sha = (v as string).toLowerCase();
    if (!ctx.objects.has(sha)) missing.push(`${k} ${sha}`);
  }
  return missing;
}

export async function postRevision(ctx: AgentContext, envelope: JsonValue, opts: { run: boolean } = { run: true }): Promise<Posted> {
  if (ctx.config.readOnly) throw HttpError.readOnly(opts.run ? "post" : "put");
  const state = envelopeState(envelope);
  const env = envelope as Record<string, JsonValue>;
  const msg = commitMessage(env["commit-msg"] ?? env.msg);
  const bytes = canonicalize(state);
  const stateSha = sha256Hex(bytes);
  const rev = postRevisionName(env.rev, stateSha, (r) => existsSync(trailDir(ctx.config.storage, r)));
  const missing = missingObjects(ctx, state);
  if (missing.length) {
    throw HttpError.badRequest(`missing objects: ${missing.slice(0, 10).join(", ")}${missing.length > 10 ? ` and ${missing.length - 10} more` : ""}; upload them first`, { missing });
  }
  const trust = await trustStep(ctx, rev, state);
  const plan = planDeploy(state, { objectsDir: ctx.objects.dir, has: (s) => ctx.objects.has(s) });
  return ctx.runner.run(`post of ${rev}`, async (signal) => {
    const current = await ctx.backend.currentRevision(signal);
    if (current === rev) throw HttpError.conflict(`${rev} is the running revision; post under another name`);
    const dir = trailDir(ctx.config.storage, rev);
    fsyncDir(ctx.objects.dir); // the uploads' directory entries (upload.ts flushes only their bytes)
    // a failed install must not cost an existing revision its trail, so names are not reused
    if (existsSync(dir)) throw HttpError.conflict(`revision ${rev} already exists on the device; post under another name`);
    applyPlan(plan, dir, ctx.objects, { warn: (w) => ctx.log(`deploy ${rev}: ${w}`) });
    try {
      await ctx.backend.install(rev, bytes, msg, signal);
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    const row = ctx.store.revisions.get(rev);
    if (row?.stateSha !== stateSha) ctx.store.revisions.put(rev, stateSha, msg ?? "");
    ctx.store.events.add("post", `${rev} ${stateSha}${opts.run ? "" : " (not run)"}`);
    ctx.log(`revision ${rev} installed (state ${stateSha.slice(0, 8)})`);
    if (opts.run) {
      await ctx.backend.run(rev, signal);
      ctx.tracker.follow(rev);
    }
    return { rev, stateSha, trust };
  });
}

/** The answer pvr expects (rev -1 + revlocal), plus where to watch progress and the trust verdict. */
export function postResponse(p: Posted, base: string): Record<string, unknown> {
  const trust = { ok: p.trust.ok, problems: p.trust.problems };
  return { rev: -1, revlocal: p.rev, "state-sha": p.stateSha, "trail-id": "local", "progress-url": `${base}/steps/${p.rev}/progress`, trust };
}
