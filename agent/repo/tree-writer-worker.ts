/**
 * Worker thread for agent/repo/fresh-tree.ts: creates the small files of a new clone's tree
 * (each with O_EXCL, whole) while the main thread receives and stores objects; creating files
 * in parallel with the store's own is what makes a clone of thousands of files faster. Answers
 * each batch with the paths it wrote; a path that failed is removed and left to checkoutState.
 */
import { createFile } from "../fsutil/durable";

declare const self: Worker;

export interface TreeBatch {
  files: { path: string; bytes: Uint8Array }[];
}

self.onmessage = (e: MessageEvent<TreeBatch & { id: number }>) => {
  const written: string[] = [];
  for (const { path, bytes } of e.data.files ?? []) {
    try {
      createFile(path, bytes);
      written.push(path);
    } catch {}
  }
  self.postMessage({ id: e.data.id, written });
};
