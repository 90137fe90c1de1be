/**
 * /steps (device.md 2.2, 2.3.2; pv:ctrl/ctrl_steps_ep.c): list, state, progress, upload of a
 * local revision and its commit message. The revision name is the raw uri after "/steps/", cut
 * at the first "/progress" or "/commitmsg" (ctrl_steps_rev_name). An upload writes progress NEW
 * "Update not yet installed" then NEW "Update ready to be run" before the body is stored, then
 * verifies the state: the simulator's "parser" wants a JSON object whose #spec is a known one,
 * and `stateError` replaces the verdict (e.g. a Secureboot message); failure removes the trail.
 */
import { rmSync } from "node:fs";
import { fail, json, ok, type Router } from "./router";
import type { PvSim } from "./sim";

const SPECS = new Set(["pantavisor-service-system@1", "pantavisor-multi-platform@1"]);
const NOT_FOUND = "Resource does not exist";

/** ctrl_steps_rev_name. */
export function revName(uri: string): string {
  const name = uri.slice("/steps/".length);
  let end = name.indexOf("/progress");
  if (end < 0) end = name.indexOf("/commitmsg");
  return end < 0 ? name : name.slice(0, end);
}

/** pv_storage_is_revision_local. */
export function isLocalRev(rev: string): boolean {
  const slashes = rev.split("/").length - 1;
  return rev.startsWith("locals/") && rev.length - 7 <= 64 && slashes === 1;
}

/** What the simulated parser says about a state: null when fine. */
export function stateProblem(text: string): string | null {
  try {
    const v = JSON.parse(text) as Record<string, unknown>;
    if (v && typeof v === "object" && !Array.isArray(v) && SPECS.has(v["#spec"] as string)) return null;
  } catch {
    // fall through
  }
  return "State JSON has bad format";
}

export function registerSteps(r: Router, sim: PvSim): void {
  const d = sim.disk;
  const sendFile = (rev: string, file: string) => {
    const text = d.read(rev, file);
    return text === null ? fail(404, NOT_FOUND) : json(text);
  };
  const getState = (c: { uri: string }) => sendFile(revName(c.uri), ".pvr/json");
  const getProgress = (c: { uri: string }) => sendFile(revName(c.uri), ".pv/progress");

  r.add("/steps", "GET", true, () => json(d.revisionsJson()));
  r.add("/steps/{}", "GET", true, getState);
  r.add("/steps/locals/{}", "GET", true, getState);

  r.add("/steps/locals/{}", "PUT", true, (c) => {
    const rev = revName(c.uri);
    if (!isLocalRev(rev) || !d.trail(rev)) return fail(400, "Request has bas step name");
    d.setProgress(rev, "NEW", "Update not yet installed");
    d.setProgress(rev, "NEW", "Update ready to be run");
    if (sim.opts.diskFull) {
      d.write(rev, ".pvr/json", c.body.subarray(0, c.body.length >> 1));
      return fail(507, "Not enough disk space available");
    }
    d.write(rev, ".pvr/json", c.body);
    const problem = sim.opts.stateError ?? stateProblem(new TextDecoder().decode(c.body));
    if (problem) {
      rmSync(d.trail(rev) as string, { recursive: true, force: true });
      return fail(422, problem.includes(":") ? problem : `Parser: ${problem}`);
    }
    return ok();
  });

  r.add("/steps/{}/progress", "GET", true, getProgress);
  r.add("/steps/locals/{}/progress", "GET", true, getProgress);

  const putCommitMsg = (c: { uri: string; body: Uint8Array }) => {
    const rev = revName(c.uri);
    if (!d.trail(rev)) return fail(500, "Cannot write message");
    if (c.body.length > 256) return fail(507, "Not enough disk space available");
    // the real server never answers a Content-Length: 0 commitmsg; the simulator says why
    if (c.body.length === 0) return fail(400, "No commit message");
    d.write(rev, ".pv/commitmsg", c.body); // creates the trail's .pv/ even for an unknown rev
    return ok();
  };
  r.add("/steps/{}/commitmsg", "PUT", true, putCommitMsg);
  r.add("/steps/locals/{}/commitmsg", "PUT", true, putCommitMsg);
}
