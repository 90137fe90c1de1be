/**
 * Worker thread for agent/objects/parallel.ts: stores one file in an object store while hashing
 * it (ObjectStore.installFile) and reports the result or a typed error.
 */
import { PvrError } from "../errors";
import { ObjectStore } from "./store";

declare const self: Worker;

self.onmessage = (e: MessageEvent<{ id: number; dir: string; src: string }>) => {
  const { id, dir, src } = e.data;
  try {
    const r = new ObjectStore(dir).installFile(src, { fsync: true });
    self.postMessage({ id, ok: r });
  } catch (err) {
    const code = err instanceof PvrError ? err.code : "failed";
    self.postMessage({ id, err: { code, message: (err as Error).message } });
  }
};
