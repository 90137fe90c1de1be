/**
 * /commands (device.md 2.3.3; pv:ctrl/ctrl_commands_ep.c, ctrl_cmd.c) and /signal (2.3.5).
 * A command needs "op" and "payload" (400 "Command has bad format" otherwise); "op" is matched
 * like strncmp(op, name, strlen(op)) (a prefix picks the first op it starts); the payload is the
 * raw token text (string contents not unescaped). Rejections follow pv_ctrl_cmd_add's order:
 * 409s, then 503 + Retry-After 600 while an update is ongoing, 204s, then 503 + Retry-After 120
 * while another command is pending. Accepted commands wait `commandDelayMs` (the state machine's
 * next WAIT cycle) and then run (updater.ts).
 */
import { fail, ok, type Router } from "./router";
import type { PvSim } from "./sim";

export const OPS = [
  "UPDATE_METADATA", "REBOOT_DEVICE", "POWEROFF_DEVICE", "TRY_ONCE", "LOCAL_RUN", "MAKE_FACTORY", "RUN_GC", "ENABLE_SSH",
  "DISABLE_SSH", "GO_REMOTE", "DEFER_REBOOT", "LOCAL_RUN_COMMIT", "LOCAL_APPLY", "XCONNECT_GRAPH", "UNCLAIM",
];
const BLOCKED_BY_UPDATE = new Set(["REBOOT_DEVICE", "POWEROFF_DEVICE", "LOCAL_RUN", "LOCAL_RUN_COMMIT", "MAKE_FACTORY", "UNCLAIM"]);

export interface Command {
  op: string;
  payload: string;
}

/** Raw text of a top-level member's value (strings without their quotes, not unescaped). */
function rawValue(text: string, key: string, value: unknown): string {
  if (typeof value !== "string") return JSON.stringify(value);
  const m = new RegExp(`"${key}"\\s*:\\s*"((?:[^"\\\\]|\\\\.)*)"`).exec(text);
  return m?.[1] ?? value;
}

export function parseCommand(text: string): Command | null {
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (!v || typeof v !== "object" || !("op" in v) || !("payload" in v)) return null;
  const opText = rawValue(text, "op", v.op);
  const op = OPS.find((o) => o.startsWith(opText));
  return op ? { op, payload: rawValue(text, "payload", v.payload) } : null;
}

export function registerCommands(r: Router, sim: PvSim): void {
  r.add("/commands", "POST", true, (c) => {
    if (c.body.length > 4096) return fail(507, "Not enough disk space available");
    const cmd = parseCommand(new TextDecoder().decode(c.body));
    if (!cmd) return fail(400, "Command has bad format");
    const { op } = cmd;
    const o = sim.opts;
    if (!sim.remoteMode && op === "UPDATE_METADATA") return fail(409, "Cannot do this operation while on local mode");
    if (sim.updater.update && BLOCKED_BY_UPDATE.has(op)) {
      return fail(503, "Cannot do this operation while update is ongoing", { "Retry-After": "600" });
    }
    if (o.claimed && op === "MAKE_FACTORY") return fail(409, "Cannot do this operation if device is already claimed");
    if (!o.controlRemote && op === "GO_REMOTE") return fail(409, "Cannot do this operation when remote mode is disabled by config");
    if (!o.debugShell && op === "DEFER_REBOOT") return fail(409, "Cannot do this operation when debug shell is not active");
    if (sim.remoteMode && op === "GO_REMOTE") return fail(204, "Already in remote mode");
    if (!o.claimed && op === "UNCLAIM") return fail(204, "Device is already unclaimed");
    if (sim.updater.pending) return fail(503, "A command is already in progress. Try again", { "Retry-After": "120" });
    sim.updater.queue(cmd);
    return ok();
  });

  // not mgmt-only; "ready" is accepted when the caller's status goal is READY (opts.readyGoal)
  r.add("/signal", "POST", false, (c) => {
    let type: unknown;
    try {
      type = (JSON.parse(new TextDecoder().decode(c.body)) as { type?: unknown }).type;
    } catch {
      // jsmn finds no "type"
    }
    if (type === undefined) return fail(400, "Signal has bad format");
    if (type !== "ready" || !sim.opts.readyGoal) return fail(500, "Signal not expected from this platform");
    return ok();
  });
}
