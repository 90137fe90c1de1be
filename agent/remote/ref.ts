/**
 * Repository references (spec pvr-format 6): what `get`, `merge`, `clone`, `put` and `inspect`
 * accept, resolved to a local path plus a `#fragment`, or refused with a clear error for the
 * HTTP remotes that are not implemented yet (URLs, device IPs, `nick/device` Hub names).
 *
 * Order, as in the Go tool: an IP literal is always a device (FixupRepoRef runs before any local
 * lookup); other scheme-less refs are local paths when they exist; otherwise a two-segment
 * `nick/device` is a Hub name and anything else is "not found". `file://` URLs are local paths.
 *
 * Remembered refs (`.pvr/config` Default*Url) are stored with local paths made absolute, because
 * this pvr runs from any subdirectory of a checkout and `clone` stores them from elsewhere.
 */
import { existsSync } from "node:fs";
import { isIP } from "node:net";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { PvrError } from "../errors";
import { splitRef } from "../state/parts";

export interface LocalRef {
  /** Absolute path of the source or target. */
  path: string;
  /** The fragment without `#` ("" when none). */
  fragment: string;
  /** What to remember in `.pvr/config`: the absolute path plus `#fragment`. */
  remembered: string;
}

const SCHEME_RE = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//;

function httpNotSupported(ref: string, why: string): PvrError {
  return new PvrError(
    "badRef",
    `HTTP remotes are not supported yet: ${JSON.stringify(ref)} ${why}; use a local checkout, repository directory or export tarball`,
  );
}

function withFragment(path: string, fragment: string): string {
  return fragment === "" ? path : `${path}#${fragment}`;
}

/** Resolves `ref` (relative to `cwd`) to a local path, or throws badRef / notFound. */
export function resolveRef(ref: string, cwd: string, opts: { mustExist?: boolean } = {}): LocalRef {
  const { mustExist = true } = opts;
  if (ref.trim() === "") throw PvrError.usage("empty repository reference");
  const { base, fragment } = splitRef(ref);
  if (base === "") throw PvrError.usage(`${JSON.stringify(ref)}: the repository is missing before '#'`);
  const scheme = SCHEME_RE.exec(base)?.[1]?.toLowerCase();
  let path: string;
  if (scheme === "http" || scheme === "https") throw httpNotSupported(ref, "is a URL");
  else if (scheme === "file") {
    try {
      path = fileURLToPath(base);
    } catch (err) {
      throw new PvrError("badRef", `${JSON.stringify(ref)}: ${(err as Error).message}`);
    }
  } else if (scheme !== undefined) throw new PvrError("badRef", `${JSON.stringify(ref)}: unsupported URL scheme ${scheme}://`);
  else if (isIP(base.replace(/^\[|\]$/g, "")) || /^[0-9.]+:[0-9]+$/.test(base)) {
    throw httpNotSupported(ref, `names a device (it would be http://${base}:12368/cgi-bin/pvr)`);
  } else path = resolve(cwd, base);

  if (!existsSync(path)) {
    const segs = base.split("/");
    if (segs.length === 2 && segs.every((s) => s !== "" && s !== "." && s !== "..")) {
      throw httpNotSupported(ref, `is not a local path, so it names a Hub device (https://pvr.pantahub.com/${base})${mustExist ? "" : `; write ./${base} for a new local directory`}`);
    }
    if (mustExist) throw PvrError.notFound(`${JSON.stringify(ref)}: no such file or directory (expected a checkout, a repository directory or an export tarball)`);
  }
  return { path, fragment, remembered: withFragment(path, fragment) };
}
