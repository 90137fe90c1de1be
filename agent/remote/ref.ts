/**
 * Repository references (spec pvr-format 6): what `get`, `merge`, `clone`, `put`, `inspect` and
 * `post` accept, resolved to a local path or an HTTP remote URL, plus a `#fragment`.
 *
 * Order, as in the Go tool: an http(s) URL or an IP literal (`10.0.0.5`, `[::1]`, `IP:port`) is
 * always a remote (FixupRepoRef runs before any local lookup); other scheme-less refs are local
 * paths when they exist; otherwise a host name (`localhost`, `dev.local`, `host:port`) is a
 * device and `nick/device` a Hub name under --repo-baseurl (agent/remote/http/url.ts), and
 * anything else is "not found". `file://` URLs are local paths.
 *
 * Remembered refs (`.pvr/config` Default*Url) are stored with local paths made absolute, because
 * this pvr runs from any subdirectory of a checkout and `clone` stores them from elsewhere;
 * remote ones as the resolved URL (plus `#fragment` for DefaultGetUrl).
 */
import { existsSync } from "node:fs";
import { isIP } from "node:net";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { PvrError } from "../errors";
import { splitRef } from "../state/parts";
import { checkHttpUrl, deviceUrl, isHttpUrl, parseDeviceHost, remoteUrlFor } from "./http/url";

export interface LocalRef {
  kind: "local";
  /** Absolute path of the source or target. */
  path: string;
  /** The fragment without `#` ("" when none). */
  fragment: string;
  /** What to remember in `.pvr/config`: the absolute path plus `#fragment`. */
  remembered: string;
}

export interface RemoteRef {
  kind: "http";
  /** The repository URL, without the fragment. */
  url: string;
  fragment: string;
  /** `url` plus `#fragment`, for DefaultGetUrl. */
  remembered: string;
  /** Set when a scheme-less name was taken as a host or Hub name because no such local path exists. */
  guessedFrom?: string;
}

export type AnyRef = LocalRef | RemoteRef;

export interface RefOptions {
  /** Local refs must exist (not for put targets). */
  mustExist?: boolean;
  /** Base for `nick/device` names (--repo-baseurl). */
  repoBaseUrl?: string;
}

const SCHEME_RE = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//;

function withFragment(path: string, fragment: string): string {
  return fragment === "" ? path : `${path}#${fragment}`;
}

function remote(url: string, fragment: string, guessedFrom?: string): RemoteRef {
  return { kind: "http", url, fragment, remembered: withFragment(url, fragment), guessedFrom };
}

function isIpLiteral(base: string): boolean {
  const d = parseDeviceHost(base);
  return d !== undefined && (isIP(d.host.replace(/^\[|\]$/g, "")) !== 0);
}

/** Resolves `ref` (relative to `cwd`) to a local path or a remote URL, or throws badRef / notFound. */
export function resolveAnyRef(ref: string, cwd: string, opts: RefOptions = {}): AnyRef {
  const { mustExist = true } = opts;
  if (ref.trim() === "") throw PvrError.usage("empty repository reference");
  const { base, fragment } = splitRef(ref);
  if (base === "") throw PvrError.usage(`${JSON.stringify(ref)}: the repository is missing before '#'`);
  const scheme = SCHEME_RE.exec(base)?.[1]?.toLowerCase();
  let path: string;
  if (isHttpUrl(base)) return remote(checkHttpUrl(base), fragment);
  if (scheme === "file") {
    try {
      path = fileURLToPath(base);
    } catch (err) {
      throw new PvrError("badRef", `${JSON.stringify(ref)}: ${(err as Error).message}`);
    }
  } else if (scheme !== undefined) throw new PvrError("badRef", `${JSON.stringify(ref)}: unsupported URL scheme ${scheme}://`);
  else if (isIpLiteral(base)) return remote(checkHttpUrl(deviceUrl(base) as string), fragment);
  else path = resolve(cwd, base);

  if (!existsSync(path) && scheme === undefined) {
    const url = remoteUrlFor(base, opts.repoBaseUrl);
    if (url) return remote(url, fragment, base);
  }
  if (!existsSync(path) && mustExist) {
    throw PvrError.notFound(`${JSON.stringify(ref)}: no such file or directory (expected a checkout, a repository directory, an export tarball, a device address or a URL)`);
  }
  return { kind: "local", path, fragment, remembered: withFragment(path, fragment) };
}

/** Like resolveAnyRef, for commands that take local sources only. */
export function resolveRef(ref: string, cwd: string, opts: RefOptions = {}): LocalRef {
  const r = resolveAnyRef(ref, cwd, opts);
  if (r.kind === "http") {
    throw new PvrError("badRef", `${JSON.stringify(ref)} names an HTTP remote (${r.url}); this command takes local sources only: 'pvr clone' it first`);
  }
  return r;
}

/** A hint for connection errors on a name that was only guessed to be remote. */
export function guessHint(r: RemoteRef): string {
  if (!r.guessedFrom) return "";
  return `\n(${JSON.stringify(r.guessedFrom)} was taken as ${r.url} because no such local path exists; write ./${r.guessedFrom} for a local path)`;
}
