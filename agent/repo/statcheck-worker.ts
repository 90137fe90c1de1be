/**
 * Worker thread for agent/repo/statcheck.ts: parses the same stat cache bytes as the main
 * thread and checks the chunks of entries it claims.
 */
import { checkChunks } from "./statcheck";
import { StatCache } from "./statcache";

declare const self: Worker;

self.onmessage = (e: MessageEvent<{ file: string; bytes: Uint8Array; ctl: Int32Array }>) => {
  const { file, bytes, ctl } = e.data;
  try {
    checkChunks(StatCache.parse(file, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)), ctl);
  } catch {
    Atomics.store(ctl, 2, 1);
    Atomics.notify(ctl, 1);
  }
};
