/**
 * Worker thread for agent/fsutil/background-sync.ts: runs syncfs(2) on the filesystem of the
 * directory it is given, once per message, and answers whether it could.
 */
import { closeSync, openSync } from "node:fs";
import { bindLibc } from "./libc";

declare const self: Worker;

const syncfs = bindLibc<(fd: number) => number>("syncfs", { args: ["i32"], returns: "i32" });

self.onmessage = (e: MessageEvent<{ id: number; dir: string }>) => {
  let ok = false;
  if (syncfs) {
    try {
      const fd = openSync(e.data.dir, "r");
      try {
        ok = syncfs(fd) === 0;
      } finally {
        closeSync(fd);
      }
    } catch {}
  }
  self.postMessage({ id: e.data.id, ok });
};
