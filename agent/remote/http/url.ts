/**
 * Remote URL resolution (spec pvr-format 6.1 FixupRepoRef, 6.2), with the Go tool's bugs fixed:
 *
 * - a bare IP literal, `IP:port`, `[v6]`, `[v6]:port`, `localhost` or a dotted host name becomes
 *   `http://HOST[:12368]/cgi-bin/pvr`; IPv6 literals get their brackets (bug 17.2 item 7);
 * - `nick/device` becomes `<repo-baseurl>/nick/device` (the Go tool hard-codes
 *   https://pvr.pantahub.com there and ignores --repo-baseurl);
 * - `http://` and `https://` URLs are kept as written.
 * The `#parts` fragment always stays client-side: it is split off first and never sent.
 * Callers decide beforehand whether an existing local path wins (agent/remote/ref.ts).
 */
import { isIP } from "node:net";
import { posix } from "node:path";
import { PvrError } from "../../errors";

export const DEVICE_PORT = 12368;
export const DEVICE_PATH = "/cgi-bin/pvr";
export const DEFAULT_REPO_BASEURL = "https://pvr.pantahub.com";

const HTTP_RE = /^https?:\/\//i;
const LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
const HOSTNAME_RE = new RegExp(`^(?:localhost|${LABEL}(?:\\.${LABEL})*\\.[A-Za-z][A-Za-z0-9-]*)$`, "i");

export function isHttpUrl(s: string): boolean {
  return HTTP_RE.test(s);
}

/** `host` and optional port of a device shorthand, or undefined when `s` is not one. */
export function parseDeviceHost(s: string): { host: string; port?: number } | undefined {
  let host = s;
  let port: string | undefined;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (v6) {
    if (isIP(v6[1] as string) !== 6) return undefined;
    return withPort(`[${v6[1]}]`, v6[2]);
  }
  if (isIP(s) === 6) return { host: `[${s}]` };
  const m = /^([^:]+):(\d+)$/.exec(s);
  if (m) [host, port] = [m[1] as string, m[2]];
  if (isIP(host) === 4 || HOSTNAME_RE.test(host)) return withPort(host, port);
  return undefined;
}

function withPort(host: string, port: string | undefined): { host: string; port?: number } | undefined {
  if (port === undefined) return { host };
  const n = Number(port);
  return n >= 1 && n <= 65535 ? { host, port: n } : undefined;
}

/** `http://HOST:12368/cgi-bin/pvr` for a device shorthand. */
export function deviceUrl(s: string): string | undefined {
  const d = parseDeviceHost(s);
  return d && `http://${d.host}:${d.port ?? DEVICE_PORT}${DEVICE_PATH}`;
}

/** A well-formed http(s) URL string (fragment removed), or a badRef error. */
export function checkHttpUrl(s: string): string {
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    throw new PvrError("badRef", `${JSON.stringify(s)} is not a valid URL`);
  }
  if ((u.protocol !== "http:" && u.protocol !== "https:") || u.host === "") {
    throw new PvrError("badRef", `${JSON.stringify(s)} is not an http(s) URL with a host`);
  }
  u.hash = "";
  return u.href;
}

/**
 * The remote URL for a scheme-less or http(s) reference base (no `#fragment`), or undefined when
 * it is neither a URL, a device shorthand nor `nick/device`.
 */
export function remoteUrlFor(base: string, repoBaseUrl = DEFAULT_REPO_BASEURL): string | undefined {
  if (isHttpUrl(base)) return checkHttpUrl(base);
  const dev = deviceUrl(base);
  if (dev) return checkHttpUrl(dev);
  const segs = base.split("/");
  if (segs.length === 2 && segs.every((s) => /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(s))) {
    return checkHttpUrl(`${repoBaseUrl.replace(/\/+$/, "")}/${base}`);
  }
  return undefined;
}

/** `url` with `name` path-joined onto its path (Go's path.Join), query kept, fragment dropped. */
export function joinUrlPath(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = posix.join(u.pathname || "/", name);
  u.hash = "";
  return u.href;
}

/** `url` resolved against `base` when relative (servers should send absolute URLs). */
export function absoluteUrl(url: string, base: string): string {
  return new URL(url, base).href;
}

/** The name `clone` gives a remote's directory: the device host, else the last path element. */
export function cloneNameForUrl(url: string): string {
  const u = new URL(url);
  const last = posix.basename(u.pathname.replace(/\/+$/, ""));
  if (u.pathname.replace(/\/+$/, "") === DEVICE_PATH || last === "") return u.hostname.replace(/^\[|\]$/g, "");
  let name: string;
  try {
    name = decodeURIComponent(last);
  } catch {
    name = last;
  }
  if (name === "" || name === "." || name === ".." || name.includes("/") || name.includes("\\") || name.includes("\0")) {
    throw PvrError.usage(`cannot derive a safe directory name from ${url}; give one: pvr clone URL DIR`);
  }
  return name;
}
