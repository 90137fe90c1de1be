/**
 * Downloading one object from its signed-geturl (spec pvr-format 8.4 R4) in constant memory:
 * the body streams into a temp file in the store's temp dir while it is hashed, and the file is
 * handed back for the store only when its sha256 equals the object id (the Go tool wrote in
 * place, unverified). A dropped connection keeps the partial file: the next attempt asks for the rest
 * with `Range: bytes=<size>-`, re-hashes the bytes already on disk and appends; a server that
 * ignores the Range (200) restarts the file. Attempts that make no progress are bounded by the
 * retry policy; a stall longer than the idle timeout counts as a drop. A local write that fails
 * (a full disk) ends the download at once.
 */
import { closeSync, ftruncateSync, openSync, readSync, unlinkSync } from "node:fs";
import { fromSystemError, PvrError } from "../../errors";
import { tempPath, writeAll } from "../../fsutil/durable";
import type { ObjectStore } from "../../objects/store";
import { type HttpClient, statusError } from "./client";
import type { ObjectItem, TransferEvents } from "./pool";
import { backoffDelay, isRetryableStatus, networkReason, withStallTimer } from "./retry";
import { sleep } from "../../util/sleep";

class Transient extends Error {}

function rangeStart(res: Response): number | undefined {
  const m = /^bytes\s+(\d+)-\d+\/(?:\d+|\*)$/.exec(res.headers.get("content-range") ?? "");
  return m ? Number(m[1]) : undefined;
}

function hashPrefix(fd: number, size: number, hasher: Bun.CryptoHasher): void {
  const buf = Buffer.allocUnsafe(1 << 20);
  for (let pos = 0; pos < size; ) {
    const n = readSync(fd, buf, 0, Math.min(buf.length, size - pos), pos);
    if (n <= 0) throw PvrError.failed("partial download shrank while resuming");
    hasher.update(buf.subarray(0, n));
    pos += n;
  }
}

/** Writes `chunk` at `pos`; a local failure (a full disk) is final, not a reason to retry. */
function writeAt(fd: number, chunk: Uint8Array, pos: number, tmp: string): void {
  try {
    writeAll(fd, chunk, pos);
  } catch (err) {
    throw fromSystemError(err, `cannot write the download to ${tmp}`);
  }
}

/**
 * Downloads `item` into a temp file in the store's temp dir and returns its path once its bytes
 * hash to its sha; the caller makes it durable and renames it in (installTemps), with others.
 */
export async function downloadObject(store: ObjectStore, item: ObjectItem, url: string, http: HttpClient, events: TransferEvents = {}): Promise<string> {
  store.ensureDir();
  const tmp = tempPath(store.tmpDir, "download");
  const out = openSync(tmp, "wx+", 0o644);
  let fd: number | undefined = out;
  let have = 0;
  let idle = 0;
  let tries = 0;
  let resumed = false;
  let started = false;
  const drop = () => {
    ftruncateSync(out, 0);
    events.bytes?.(item, -have);
    have = 0;
  };
  try {
    for (;;) {
      tries++;
      const before = have;
      try {
        return await withStallTimer(http.idleTimeoutMs, async (signal, alive) => {
          const headers: Record<string, string> = { "Accept-Encoding": "identity", "User-Agent": "PVR client" };
          if (have > 0) headers.Range = `bytes=${have}-`;
          const res = await http.getBulk(url, { headers, signal });
          if (have > 0 && res.status === 206 && rangeStart(res) === have) resumed = true;
          else if (res.status === 200 || (res.status === 206 && have === 0 && rangeStart(res) === 0)) drop();
          else if ((res.status === 416 || res.status === 206) && have > 0) {
            await res.body?.cancel().catch(() => {});
            drop();
            throw new Transient(`the server did not resume at byte ${have} (HTTP ${res.status}); starting again`);
          } else if (isRetryableStatus(res.status)) {
            await res.body?.cancel().catch(() => {});
            throw new Transient(`HTTP ${res.status} ${res.statusText}`.trim());
          } else throw await statusError("GET", url, res);
          const length = Number(res.headers.get("content-length") ?? Number.NaN);
          const total = Number.isFinite(length) ? have + length : item.size;
          if (!started) events.start?.(item, total);
          started = true;
          const hasher = new Bun.CryptoHasher("sha256");
          hashPrefix(out, have, hasher);
          for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
            alive();
            hasher.update(chunk);
            writeAt(out, chunk, have, tmp);
            have += chunk.length;
            events.bytes?.(item, chunk.length);
          }
          const want = total ?? item.size;
          if (want !== undefined && have < want) throw new Transient(`connection closed after ${have} of ${want} bytes`);
          const sha = hasher.digest("hex");
          if (sha !== item.sha) {
            if (resumed) {
              // the resumed parts may not belong together: one clean download decides
              drop();
              resumed = false;
              throw new Transient(`resumed download hashes to ${sha}; downloading again from the start`);
            }
            throw PvrError.integrity(`the downloaded bytes (${have}) hash to ${sha}: the remote sent a corrupt object; it was not installed`);
          }
          // flushed and renamed into the store in one batch by downloadObjects
          closeSync(out);
          fd = undefined;
          return tmp;
        });
      } catch (err) {
        if (err instanceof PvrError) throw err;
        idle = have > before ? 0 : idle + 1;
        const reason = err instanceof Transient ? err.message : networkReason(err);
        if (idle >= http.retry.attempts || tries >= http.retry.attempts * 4) {
          throw PvrError.failed(`download from ${url} failed after ${tries} attempt(s) (${have} bytes kept): ${reason}`);
        }
        events.retry?.(item, `${reason}; ${have > 0 ? `resuming at byte ${have}` : "retrying"}`);
        await sleep(backoffDelay(http.retry, Math.max(1, idle)));
      }
    }
  } finally {
    if (fd !== undefined) {
      closeSync(fd);
      try {
        unlinkSync(tmp);
      } catch {}
    }
  }
}
