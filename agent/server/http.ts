/**
 * Small HTTP helpers for the routes: the absolute base URL a client reached us at (from the
 * request's Host, IPv6 brackets kept), JSON bodies read with a size cap and the lossless parser,
 * and JSON-text responses.
 */
import type { Context } from "hono";
import { HttpError } from "../http-error";
import { type JsonValue, JsonSyntaxError, parseJson } from "../state/json";

export const BASE_PATH = "/cgi-bin/pvr";

/** `http://<host[:port]>/cgi-bin/pvr` as the client addressed us. */
export function baseUrl(c: Context): string {
  const url = new URL(c.req.url);
  const proto = c.req.header("x-forwarded-proto") === "https" ? "https:" : url.protocol;
  return `${proto}//${url.host}${BASE_PATH}`;
}

/** Reads the request body as text, refusing more than `limit` bytes (413). */
export async function readText(c: Context, limit: number, hint = "--max-json-size"): Promise<string> {
  const declared = c.req.header("content-length");
  if (declared !== undefined && Number(declared) > limit) throw HttpError.tooLarge(`request body of ${declared} bytes is over the ${limit}-byte limit (${hint})`);
  const body = c.req.raw.body;
  if (!body) return "";
  const chunks: Uint8Array[] = [];
  let n = 0;
  for await (const chunk of body) {
    n += chunk.length;
    if (n > limit) throw HttpError.tooLarge(`request body is over the ${limit}-byte limit (${hint})`);
    chunks.push(chunk);
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw HttpError.badRequest("request body is not valid UTF-8");
  }
}

export async function readJson(c: Context, limit: number): Promise<JsonValue> {
  const text = await readText(c, limit);
  if (text.trim() === "") throw HttpError.badRequest("request body is empty; expected JSON");
  try {
    return parseJson(text);
  } catch (err) {
    if (err instanceof JsonSyntaxError) throw HttpError.badRequest(`invalid JSON: ${err.message}`);
    throw HttpError.badRequest(`invalid JSON: ${(err as Error).message}`);
  }
}

export function jsonText(text: string, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(text, { status, headers: { "Content-Type": "application/json", ...headers } });
}

export function json(value: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return jsonText(JSON.stringify(value), status, headers);
}

export function contentLength(c: Context): number | null {
  const v = c.req.header("content-length");
  if (v === undefined) return null;
  if (!/^\d{1,16}$/.test(v)) throw HttpError.badRequest(`invalid Content-Length ${JSON.stringify(v)}`);
  return Number(v);
}
