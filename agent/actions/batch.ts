/**
 * Object batches on the agent (README, "Object batches"): which of a list of objects the device
 * lacks (`POST objects/missing`), a framed stream of objects it has (`POST objects/fetch`, for
 * clones) and storing a framed stream of objects (`PUT objects/store`, for posts). Every stored
 * object is verified against its sha; the verified ones are made durable with one flush and
 * installed even when a later object of the same stream fails, so a retry sends only the rest.
 */
import { HttpError } from "../http-error";
import { isNoSpace, PvrError } from "../errors";
import { BatchWriter } from "../objects/batch-writer";
import { type FrameSource, encodeFrames, FrameDecoder, FrameError } from "../objects/frames";
import { isJsonObject, type JsonValue } from "../state/json";
import type { AgentContext } from "./context";
import { checkSha, objectSize } from "./objects";

/** Most ids one request may name. */
export const MAX_BATCH_IDS = 100_000;

/** `{"objects": ["<sha>", ...]}` → lowercase ids. */
export function parseIdList(body: JsonValue): string[] {
  const list = isJsonObject(body) ? body.objects : undefined;
  if (!Array.isArray(list)) throw HttpError.badRequest('expected {"objects": ["<sha256>", ...]}');
  if (list.length > MAX_BATCH_IDS) throw HttpError.tooLarge(`at most ${MAX_BATCH_IDS} objects per request, not ${list.length}`);
  return list.map((v) => {
    if (typeof v !== "string") throw HttpError.badRequest(`object ids must be strings, not ${JSON.stringify(v)}`);
    return checkSha(v);
  });
}

export function missingObjects(ctx: AgentContext, body: JsonValue): { missing: string[] } {
  return { missing: parseIdList(body).filter((sha) => objectSize(ctx, sha) === null) };
}

/** The frames of the named objects, in the order asked; 404 naming every absent one first. */
export function fetchObjects(ctx: AgentContext, body: JsonValue): AsyncGenerator<Uint8Array> {
  const ids = parseIdList(body);
  const absent = ids.filter((sha) => objectSize(ctx, sha) === null);
  if (absent.length) throw new HttpError("notFound", `${absent.length} of ${ids.length} object(s) are not on this device`, 404, { missing: absent });
  const items: FrameSource[] = ids.map((sha) => ({ sha, path: ctx.objects.path(sha) }));
  return encodeFrames(items);
}

export interface Stored {
  stored: number;
  present: number;
}

/** Reads a framed upload; installs every verified object, then reports or throws. */
export async function storeObjects(ctx: AgentContext, body: ReadableStream<Uint8Array> | null): Promise<Stored> {
  if (ctx.config.readOnly) throw HttpError.readOnly("object upload");
  const max = ctx.config.maxObjectSize;
  let count = 0;
  const writer = new BatchWriter(ctx.objects, {
    skipPresent: true,
    accept(sha, size) {
      if (size > max) throw HttpError.tooLarge(`object ${sha} is ${size} bytes; this agent accepts at most ${max} (--max-object-size)`);
    },
    onVerified: () => count++,
  });
  const decoder = new FrameDecoder(writer);
  let failure: unknown;
  try {
    // writes are synchronous here on purpose: while the disk is slow the body is not read, so
    // a fast client cannot make the agent buffer its upload in memory
    if (body) for await (const chunk of body) decoder.push(chunk);
    if (!decoder.atBoundary) throw HttpError.badRequest("the upload ended in the middle of an object; that object was not stored");
  } catch (err) {
    failure = err;
  }
  let stored = 0;
  try {
    stored = writer.install();
  } catch (err) {
    failure ??= err;
  }
  if (stored) {
    ctx.store.events.add("objects", `${stored} stored from a batch upload`);
    ctx.log(`stored ${stored} object(s) from a batch upload`);
  }
  if (failure !== undefined) throw uploadError(failure, count);
  return { stored, present: writer.present };
}

function uploadError(err: unknown, verified: number): PvrError {
  const kept = `; the ${verified} object(s) verified before it were kept`;
  if (err instanceof FrameError) return HttpError.badRequest(`${err.message}${kept}`);
  if (err instanceof HttpError) return new HttpError(err.code, `${err.message}${kept}`, err.status, err.extra, err.headers);
  if (err instanceof PvrError) return err.code === "integrity" ? HttpError.unprocessable(`${err.message}${kept}`) : err;
  if (isNoSpace(err)) return HttpError.diskFull();
  return HttpError.badRequest(`the upload was interrupted: ${(err as Error)?.message ?? err}${kept}`);
}
