/**
 * Worker thread for agent/fsutil/background-sync.ts: runs syncfs(2) on the filesystem of the
 * directory it is given and then, only if that succeeded, the renames it was handed (temps made
 * durable by that flush moving into place). Answers whether the flush ran and which renames failed.
 */
import { closeSync, openSync, renameSync } from "node:fs";
import { bindLibc } from "./libc";

declare const self: Worker;

const syncfs = bindLibc<(fd: number) => number>("syncfs", { args: ["i32"], returns: "i32" });

self.onmessage = (e: MessageEvent<{ id: number; dir: string; renames: [string, string][] }>) => {
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
  const failed: string[] = [];
  if (ok) {
    for (const [from, to] of e.data.renames ?? []) {
      try {
        renameSync(from, to);
      } catch (err) {
        failed.push(`${from}: ${(err as Error).message}`);
      }
    }
  }
  self.postMessage({ id: e.data.id, ok, failed });
};
