/**
 * Import tarballs (spec pvr-format 9.2), validating everything before anything is installed.
 * Members are parsed with the `tar` package's Parser (strict mode) and checked one by one:
 * only regular files named `json` or `objects/<64 lowercase hex>` (a leading `./` is accepted),
 * plus directory entries for `objects/` and `./`; no `..`, absolute names, links or devices.
 * Objects stream into a staging directory inside the store (same filesystem), hashed on the
 * way; a mismatch rejects the tarball. Only when `json` is a valid state whose every object is
 * either staged or already in the store are the staged objects renamed into the store.
 * A rejected tarball installs nothing: the staging directory is removed.
 */
import { createReadStream } from "node:fs";
import { Parser, type ReadEntry } from "tar";
import { fromSystemError, PvrError } from "../errors";
import type { ObjectStore } from "../objects/store";
import { JsonSyntaxError, parseJson } from "../state/json";
import { checkState, objectIds, type State } from "../state/model";
import { Staging } from "./staging";

const MAX_JSON = 256 << 20;
const OBJECT_RE = /^objects\/([0-9a-f]{64})$/;

export interface ReadTarballOptions {
  /** Told about harmless oddities, such as objects in the tarball that the state never uses. */
  warn?: (message: string) => void;
}

type Member = { kind: "json" } | { kind: "object"; sha: string } | { kind: "dir" };

/** Classifies one member, throwing PvrError.unsafe for anything outside the export layout. */
function classify(entry: ReadEntry): Member {
  const raw = entry.path;
  const shown = JSON.stringify(raw);
  if (raw.startsWith("/") || /^[A-Za-z]:/.test(raw)) throw PvrError.unsafe(`tarball member ${shown} has an absolute name`);
  const segs = raw.split("/");
  if (segs.includes("..")) throw PvrError.unsafe(`tarball member ${shown} escapes with '..'`);
  if (entry.type === "Directory" && segs.length > 1 && segs[segs.length - 1] === "") segs.pop();
  while (segs.length > 1 && segs[0] === ".") segs.shift();
  const name = segs.join("/");
  switch (entry.type) {
    case "Directory":
      if (name === "objects" || name === ".") return { kind: "dir" };
      throw PvrError.unsafe(`tarball has an unexpected directory ${shown}; only objects/ is allowed`);
    case "File":
    case "OldFile":
      break;
    case "SymbolicLink":
    case "Link":
      throw PvrError.unsafe(`tarball member ${shown} is a ${entry.type === "Link" ? "hard" : "symbolic"} link to ${JSON.stringify(entry.linkpath ?? "")}; links are not allowed`);
    default:
      throw PvrError.unsafe(`tarball member ${shown} is a ${entry.type} entry; only regular files are allowed`);
  }
  if (name === "json") return { kind: "json" };
  const m = OBJECT_RE.exec(name);
  if (m) return { kind: "object", sha: m[1] as string };
  throw PvrError.unsafe(`tarball has an unexpected member ${shown}; expected json and objects/<sha256>`);
}

function parseState(chunks: Buffer[] | undefined): State {
  if (!chunks) throw PvrError.badState("tarball has no json member; it is not a pvr export");
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw PvrError.badJson("tarball json: invalid UTF-8");
  }
  try {
    return checkState(parseJson(text), "tarball json");
  } catch (err) {
    if (err instanceof JsonSyntaxError) throw PvrError.badJson(`tarball json: invalid JSON: ${err.message}`);
    throw err;
  }
}

/** Streams the tar members of `file` (`-` = stdin) into the staging area; returns the json bytes. */
async function parseMembers(file: string, staging: Staging): Promise<Buffer[] | undefined> {
  let failure: unknown;
  let json: Buffer[] | undefined;
  const fail = (err: unknown) => {
    failure ??= err;
  };
  const parser = new Parser({ strict: true, maxDecompressionRatio: Number.POSITIVE_INFINITY });
  const finished = new Promise<void>((resolve) => {
    parser.on("end", () => resolve());
    parser.on("error", (err: Error) => {
      fail(PvrError.failed(`not a valid tar archive: ${err.message}`));
      resolve();
    });
  });
  parser.on("ignoredEntry", (entry: ReadEntry) => fail(PvrError.unsafe(`tarball member ${JSON.stringify(entry.path)} has an unsupported type ${entry.type}`)));
  parser.on("entry", (entry: ReadEntry) => {
    let member: Member | undefined;
    try {
      if (failure === undefined) member = classify(entry);
    } catch (err) {
      fail(err);
    }
    if (member?.kind === "json") {
      if (json) fail(PvrError.unsafe("tarball has two json members"));
      else if (entry.size > MAX_JSON) fail(PvrError.badState(`tarball json is ${entry.size} bytes; refusing more than ${MAX_JSON}`));
      else {
        const mine: Buffer[] = [];
        json = mine;
        entry.on("data", (c: Buffer) => mine.push(c));
        return;
      }
    }
    if (member?.kind === "object") {
      const sink = staging.begin(member.sha);
      entry.on("end", () => {
        if (failure === undefined) sink.finish(fail);
        else sink.abort();
      });
      entry.on("data", (c: Buffer) => {
        if (failure === undefined) sink.write(c, fail);
      });
      return;
    }
    entry.resume();
  });
  const input = file === "-" ? process.stdin : createReadStream(file, { highWaterMark: 1 << 20 });
  try {
    // Entry handlers consume synchronously, so the parser never buffers whole members.
    for await (const chunk of input) {
      parser.write(chunk as Buffer);
      if (failure !== undefined) break;
    }
  } catch (err) {
    throw fromSystemError(err, `cannot read ${file}`);
  }
  if (failure === undefined) {
    parser.end();
    await finished;
  }
  if (failure !== undefined) throw failure;
  return json;
}

/**
 * Reads an export tarball into `store` and returns its validated state. Throws a PvrError and
 * installs nothing when any member, object hash or the state itself is unacceptable.
 */
export async function readTarball(file: string, store: ObjectStore, opts: ReadTarballOptions = {}): Promise<State> {
  const staging = Staging.create(store);
  try {
    const state = parseState(await parseMembers(file, staging));
    const ids = objectIds(state);
    for (const id of ids) {
      if (!staging.has(id) && !store.has(id)) {
        const key = Object.keys(state).find((k) => typeof state[k] === "string" && (state[k] as string).toLowerCase() === id);
        throw PvrError.notFound(`tarball json references object ${id} (${key}) that is neither in the tarball nor in ${store.dir}`);
      }
    }
    const unused = staging.count() - ids.filter((id) => staging.has(id)).length;
    if (unused > 0) opts.warn?.(`ignored ${unused} object(s) in the tarball that its json does not reference`);
    staging.commit(ids);
    return state;
  } finally {
    staging.dispose();
  }
}
