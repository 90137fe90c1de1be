/**
 * Creates the DeviceBackend the configuration asks for: the standalone one (the agent keeps its
 * own trails) or Pantavisor's (pv-ctrl, ./pantavisor.ts). Backends may have `init()` (run once
 * before serving) and `close()` (at shutdown).
 */
import type { AgentConfig } from "../config";
import { PvrError } from "../errors";
import type { ObjectStore } from "../objects/store";
import type { AgentStore } from "../store";
import type { DeviceBackend } from "./backend";
import { PantavisorBackend } from "./pantavisor";
import { StandaloneBackend } from "./standalone";

export type ManagedBackend = DeviceBackend & { init?(): Promise<void>; close?(): Promise<void> | void };

export function createBackend(cfg: AgentConfig, store: AgentStore, objects: ObjectStore, log: (line: string) => void): ManagedBackend {
  if (cfg.backend === "standalone") return new StandaloneBackend(cfg.storage, store, objects, log, cfg.settleMs);
  if (!cfg.pvCtrl) throw PvrError.usage("the pantavisor backend needs a pv-ctrl socket (--pv-ctrl)");
  // a post waits for a busy Pantavisor at most 30 s, then answers 503 + Retry-After itself
  // (device.md 3.3 step 7) instead of outliving the HTTP connection
  return new PantavisorBackend({ socketPath: cfg.pvCtrl, maxRetryWaitMs: 30_000 });
}
