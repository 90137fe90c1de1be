/**
 * Listen addresses: `HOST:PORT`, `[IPv6]:PORT`, `:PORT` (all IPv4 interfaces) or a bare `PORT`
 * (loopback). IPv6 literals must be bracketed so the port is unambiguous. Port 0 asks the system
 * for a free port; the agent prints the one it got.
 */
import { PvrError } from "./errors";

export interface ListenAddress {
  /** Without brackets: "127.0.0.1", "::1", "0.0.0.0". */
  host: string;
  port: number;
}

export function parseListen(text: string): ListenAddress {
  const bad = (why: string) => PvrError.usage(`--listen ${JSON.stringify(text)}: ${why} (examples: 127.0.0.1:12368, [::]:12368, :12368)`);
  let host: string;
  let portText: string;
  if (/^\d+$/.test(text)) return { host: "127.0.0.1", port: checkPort(text, bad) };
  const v6 = /^\[([0-9A-Fa-f:.%a-zA-Z]+)\]:(\d+)$/.exec(text);
  if (v6) [host, portText] = [v6[1] as string, v6[2] as string];
  else {
    const i = text.lastIndexOf(":");
    if (i < 0) throw bad("no port");
    host = text.slice(0, i);
    portText = text.slice(i + 1);
    if (host.includes(":")) throw bad("put an IPv6 address in brackets");
    if (host === "") host = "0.0.0.0";
    if (!/^[A-Za-z0-9.-]+$/.test(host)) throw bad("invalid host");
  }
  return { host, port: checkPort(portText, bad) };
}

function checkPort(text: string, bad: (why: string) => Error): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) throw bad("invalid port");
  return port;
}

/** `host:port` with IPv6 in brackets, as it goes into a URL. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
