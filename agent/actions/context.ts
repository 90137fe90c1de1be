/**
 * What every action receives: configuration, the database, the object store, the device
 * backend, the serialised runner, the progress tracker, the URL signer and the log. Actions are
 * plain functions of this context, callable from the HTTP routes, the CLI or tests alike.
 */
import type { AgentConfig } from "../config";
import type { ManagedBackend } from "../device/select";
import type { ObjectStore } from "../objects/store";
import type { AgentStore } from "../store";
import { Runner } from "./runner";
import { UrlSigner } from "./signing";
import { ProgressTracker } from "./tracker";

export interface AgentContext {
  config: AgentConfig;
  store: AgentStore;
  objects: ObjectStore;
  backend: ManagedBackend;
  runner: Runner;
  tracker: ProgressTracker;
  signer: UrlSigner;
  log: (line: string) => void;
  /** sha → state key of the running revision, for object labels (see objects.ts). */
  names: { rev: string; map: Map<string, string> } | null;
}

export function createContext(config: AgentConfig, store: AgentStore, objects: ObjectStore, backend: ManagedBackend, log: (line: string) => void): AgentContext {
  const tracker = new ProgressTracker(backend, store, log);
  return {
    config,
    store,
    objects,
    backend,
    tracker,
    runner: new Runner(() => tracker.busyWith()),
    signer: new UrlSigner(config.token, config.urlTtl),
    log,
    names: null,
  };
}
