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
  return new PantavisorBackend({ socketPath: cfg.pvCtrl });
}
