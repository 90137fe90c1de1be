/**
 * The trust step of a post (device.md 4.8, 9.3 item 2), run once every object is in the store
 * and before anything is deployed. With a policy (`config.trust.enforce`: --require-signatures,
 * --trusted-keys, --cacerts or --verity verify) a failed check refuses the post: 422 with
 * `problems: [{part, reason}]`, nothing deployed. Without one, the signatures are checked against
 * the keys they embed (verity off) and each problem is logged and recorded in the event log; the
 * verdict goes into the post response, and the post proceeds.
 */
import { HttpError } from "../http-error";
import type { State } from "../state/model";
import type { TrustPolicy, TrustVerdict } from "../trust/policy";
import type { AgentContext } from "./context";

const REPORT_ONLY: TrustPolicy = { requireSignatures: false, verity: "off", embeddedKeys: true };
const SHOWN = 10;

const line = (p: { part: string; reason: string }) => `${p.part}: ${p.reason}`;

function summary(v: TrustVerdict): string {
  const shown = v.problems.slice(0, SHOWN).map(line).join("; ");
  return v.problems.length > SHOWN ? `${shown}; and ${v.problems.length - SHOWN} more` : shown;
}

export async function trustStep(ctx: AgentContext, rev: string, state: State): Promise<TrustVerdict> {
  // loaded at the first post: the signature code (node:crypto) is not resident in an idle agent
  const { checkTrust } = require("../trust/policy") as typeof import("../trust/policy");
  const { enforce, policy } = ctx.config.trust;
  if (enforce) {
    const verdict = await checkTrust(state, policy, ctx.objects.dir);
    if (verdict.ok) return verdict;
    ctx.log(`post of ${rev} refused by the trust policy: ${summary(verdict)}`);
    ctx.store.events.add("trust-refused", `${rev} ${summary(verdict)}`);
    throw HttpError.unprocessable(`${rev} refused by the trust policy: ${summary(verdict)}`, { problems: verdict.problems });
  }
  let verdict: TrustVerdict;
  try {
    verdict = await checkTrust(state, REPORT_ONLY, ctx.objects.dir);
  } catch (err) {
    verdict = { ok: false, problems: [{ part: "", reason: `the signature check failed: ${(err as Error).message}` }] };
  }
  for (const p of verdict.problems) {
    ctx.log(`trust: ${rev}: ${line(p)} (reported only: no trust policy is configured)`);
    ctx.store.events.add("trust", `${rev} ${line(p)}`);
  }
  return verdict;
}
