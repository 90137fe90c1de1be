/**
 * Creating a revision on a remote (spec pvr-format 8.6 R7; device.md 3.2 e). The envelope is the
 * `--envelope` object plus `commit-msg` (when given), `rev` and the state under the remote's
 * `json-key`, sent as canonical JSON bytes with `Content-Type: text/plain; charset=utf-8` (what
 * the Go tool's resty sends; servers must not insist on application/json).
 *
 * `--rev`: Go parses it with ParseInt(s, 0, 64) (so `0x10` is 16), sends `-1` by default and
 * omits 0; a non-numeric value (`locals/x`) is sent as a string, which the device accepts (the
 * Go tool would silently drop it). The answer must carry `state-sha` (string) and `rev` (number),
 * plus `revlocal` (string) when `rev` is -1; a malformed answer is an error, not a panic.
 */
import { PvrError } from "../../errors";
import { canonicalize } from "../../state/canonical";
import { isJsonObject, JsonNumber, type JsonObject, type JsonValue, newObject, parseJson } from "../../state/json";
import type { State } from "../../state/model";
import { readJsonBody, statusError } from "./client";
import type { Remote } from "./remote";

export interface EnvelopeOptions {
  /** `--envelope` JSON text (an object). */
  envelope?: string;
  commitMsg?: string;
  /** `--rev` as typed; default "-1". */
  rev?: string;
}

export interface PostResult {
  /** The revision name to show: `revlocal` when rev is -1, else the rev number. */
  revision: string;
  rev: number;
  revlocal?: string;
  stateSha: string;
  trailId: string;
  progressUrl?: string;
  /** The whole answer. */
  response: JsonObject;
}

/** `--rev` as the envelope value: a number (0 = omit) or the string as typed. */
export function revValue(rev: string): JsonValue | undefined {
  const t = rev.trim();
  const m = /^([+-]?)(0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO]?[0-7_]*|[1-9][0-9_]*)$/.exec(t);
  if (!m) return t === "" ? undefined : t;
  let digits = (m[2] as string).replace(/_/g, "");
  if (/^0[0-7]+$/.test(digits)) digits = `0o${digits.slice(1)}`;
  else if (/^0[oO]$/.test(digits)) digits = "0";
  const n = BigInt(digits) * (m[1] === "-" ? -1n : 1n);
  return n === 0n ? undefined : new JsonNumber(n.toString());
}

/** The exact bytes `post` sends. */
export function buildEnvelope(state: State, jsonKey: string, opts: EnvelopeOptions): string {
  let env: JsonObject = newObject();
  if (opts.envelope !== undefined && opts.envelope.trim() !== "") {
    let v: JsonValue;
    try {
      v = parseJson(opts.envelope);
    } catch (err) {
      throw PvrError.usage(`--envelope is not valid JSON: ${(err as Error).message}`);
    }
    if (!isJsonObject(v)) throw PvrError.usage("--envelope must be a JSON object");
    env = v;
  }
  if (opts.commitMsg) env["commit-msg"] = opts.commitMsg;
  const rev = revValue(opts.rev ?? "-1");
  if (rev !== undefined) env.rev = rev;
  env[jsonKey] = state;
  return canonicalize(env);
}

function fieldText(v: JsonValue | undefined): string {
  if (v === undefined) return "(none)";
  return typeof v === "string" ? v : v instanceof JsonNumber ? v.text : JSON.stringify(v);
}

/** Checks and reads a post answer. */
export function parsePostResponse(doc: JsonValue, url: string): PostResult {
  const bad = (why: string) => PvrError.badJson(`POST ${url}: the answer ${why}: ${JSON.stringify(doc)}`);
  if (!isJsonObject(doc)) throw bad("is not a JSON object");
  const sha = doc["state-sha"];
  const rev = doc.rev;
  if (typeof sha !== "string") throw bad('has no "state-sha" string');
  if (!(rev instanceof JsonNumber)) throw bad('has no "rev" number');
  const revNum = Number(rev.text);
  const revlocal = typeof doc.revlocal === "string" ? doc.revlocal : undefined;
  if (revNum === -1 && revlocal === undefined) throw bad('has rev -1 but no "revlocal" string');
  const progress = doc["progress-url"];
  return {
    revision: revNum === -1 ? (revlocal as string) : rev.text,
    rev: revNum,
    revlocal,
    stateSha: sha,
    trailId: fieldText(doc["trail-id"]),
    progressUrl: typeof progress === "string" && progress !== "" ? new URL(progress, url).href : undefined,
    response: doc,
  };
}

/** R7: posts the envelope bytes to the remote's post-url. */
export async function postRevision(remote: Remote, envelope: string): Promise<PostResult> {
  const url = remote.info.postUrl;
  if (url === "") throw PvrError.badJson(`${remote.url}: .pvrremote has no "post-url"; this remote does not take revisions`);
  const res = await remote.http.send("POST", url, {
    auth: true,
    idempotent: false,
    headers: { "Content-Type": "text/plain; charset=utf-8", Accept: "application/json" },
    body: () => envelope,
  });
  if (res.status !== 200) throw await statusError("POST", url, res);
  return parsePostResponse(await readJsonBody(res, `post answer (${url})`), url);
}

/** The Go tool's success line. */
export function postedLine(r: PostResult): string {
  return `Successfully posted Revision ${r.revision} (${r.stateSha.slice(0, 8)}) to device id ${r.trailId}`;
}
