/**
 * Receiving an object (the blob PUT, device.md 3.3 and 2.6): the body is streamed into a temp
 * file in the store's temp dir while it is hashed and counted, then checked against the sha in
 * the URL, the Content-Length and the size announced by `POST objects/`, fsynced and only then
 * renamed into `objects/<sha>`. Any failure (mismatch 422, over --max-object-size 413, disk
 * full 507, client gone or short body) removes the temp file: `objects/` never holds a partial
 * or wrong object.
 */
import { closeSync, fsync, openSync, statfsSync, unlinkSync } from "node:fs";
import { rename, unlink } from "node:fs/promises";
import { join } from "node:path";
import { fromSystemError, isNoSpace, PvrError } from "../errors";
import { tempPath, writeAll } from "../fsutil/durable";
import { HttpError } from "../http-error";
import type { AgentContext } from "./context";
import { checkSha } from "./objects";

export interface Received {
  sha: string;
  size: number;
  fresh: boolean;
}

function freeBytes(dir: string): number {
  try {
    const s = statfsSync(dir);
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

function checkBefore(ctx: AgentContext, sha: string, declared: number | null): number | null {
  const max = ctx.config.maxObjectSize;
  const announced = ctx.store.uploads.get(sha)?.size ?? null;
  for (const n of [declared, announced]) {
    if (n !== null && n > max) throw HttpError.tooLarge(`object ${sha} is ${n} bytes; this agent accepts at most ${max} (--max-object-size)`);
  }
  if (declared !== null && announced !== null && declared !== announced) {
    throw new HttpError("integrity", `Content-Length ${declared} differs from the size ${announced} announced for ${sha}`, 422);
  }
  if (declared !== null && declared > freeBytes(ctx.objects.dir)) throw HttpError.diskFull();
  return announced;
}

export async function receiveObject(ctx: AgentContext, rawSha: string, body: ReadableStream<Uint8Array> | null, declared: number | null): Promise<Received> {
  if (ctx.config.readOnly) throw HttpError.readOnly("object upload");
  const sha = checkSha(rawSha);
  const announced = checkBefore(ctx, sha, declared);
  ctx.objects.ensureDir();
  const tmp = tempPath(ctx.objects.tmpDir, "upload");
  const max = ctx.config.maxObjectSize;
  let fd: number;
  try {
    fd = openSync(tmp, "wx", 0o644);
  } catch (err) {
    throw fromSystemError(err, "cannot create an upload file");
  }
  let closed = false;
  let size = 0;
  try {
    const hasher = new Bun.CryptoHasher("sha256");
    if (body) {
      for await (const chunk of body) {
        size += chunk.length;
        if (size > max) throw HttpError.tooLarge(`object ${sha} is over ${max} bytes (--max-object-size)`);
        if (declared !== null && size > declared) throw new HttpError("integrity", `body is longer than its Content-Length ${declared}`, 422);
        hasher.update(chunk);
        // synchronous on purpose: while the disk is slow the body is not read, so a fast client
        // cannot make the agent buffer its upload in memory (Bun keeps reading otherwise)
        writeAll(fd, chunk);
      }
    }
    const got = hasher.digest("hex");
    if (declared !== null && size !== declared) throw new HttpError("integrity", `upload of ${sha} ended after ${size} of ${declared} bytes; nothing was stored`, 422);
    if (announced !== null && size !== announced) throw new HttpError("integrity", `received ${size} bytes for ${sha}, ${announced} were announced; nothing was stored`, 422);
    if (got !== sha) throw new HttpError("integrity", `Object has bad checksum: the body hashes to ${got}, not ${sha}; nothing was stored`, 422);
    await new Promise<void>((resolve, reject) => fsync(fd, (err) => (err ? reject(err) : resolve())));
    closeSync(fd);
    closed = true;
    const final = join(ctx.objects.dir, sha);
    const fresh = !(await Bun.file(final).exists());
    if (fresh) await rename(tmp, final);
    else await unlink(tmp);
    // The bytes are flushed; the directory entry is made durable once per post (post.ts) instead
    // of once per object: a crash before that loses the entry (the client uploads it again),
    // never an object's content.
    // The session stays (it names the object for info requests) until it expires after a day.
    if (fresh) ctx.store.events.add("object", `${sha} ${size}`);
    return { sha, size, fresh };
  } catch (err) {
    if (!closed) {
      try {
        closeSync(fd);
      } catch {}
    }
    try {
      unlinkSync(tmp);
    } catch {}
    if (err instanceof PvrError) throw err;
    if (isNoSpace(err)) throw HttpError.diskFull();
    if ((err as NodeJS.ErrnoException)?.code) throw fromSystemError(err, `cannot store object ${sha}`);
    throw HttpError.badRequest(`upload of ${sha} was interrupted after ${size} bytes: ${(err as Error)?.message ?? err}; nothing was stored`);
  }
}
