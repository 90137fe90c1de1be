/**
 * Worker thread for agent/repo/fresh-tree.ts: creates the small files of a new clone's tree
 * (each with O_EXCL, whole) while the main thread receives and stores objects; creating files
 * in parallel with the store's own is what makes a clone of thousands of files faster. Answers
 * each batch with the paths it wrote; a path that failed is removed and left to checkoutState.
 */
import { closeSync, openSync, unlinkSync, writeSync } from "node:fs";

declare const self: Worker;

export interface TreeBatch {
  id: number;
  files: { path: string; bytes: Uint8Array }[];
}

self.onmessage = (e: MessageEvent<TreeBatch>) => {
  const written: string[] = [];
  for (const { path, bytes } of e.data.files ?? []) {
    let fd: number | undefined;
    try {
      fd = openSync(path, "wx", 0o644);
      for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
      closeSync(fd);
      written.push(path);
    } catch {
      if (fd !== undefined) {
        try {
          closeSync(fd);
          unlinkSync(path);
        } catch {}
      }
    }
  }
  self.postMessage({ id: e.data.id, written });
};
