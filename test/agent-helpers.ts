/**
 * Helpers for the agent tests: start `pvr agent` as a real process on a free port (port 0, the
 * URL read from its "listening on" line), curl as a real HTTP client, raw sockets for broken
 * uploads, and snapshots of objects/ and trails/ to prove that a refused request changed nothing.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir as osTmp } from "node:os";
import { join } from "node:path";
import { BUN, CLI, snapshotTree, tmpdir } from "./helpers";

export interface AgentProcess {
  proc: ReturnType<typeof Bun.spawn>;
  base: string;
  port: number;
  storage: string;
  log(): string;
  stop(signal?: NodeJS.Signals): Promise<number>;
}

export async function startAgentProcess(opts: { storage?: string; listen?: string; args?: string[]; env?: Record<string, string> } = {}): Promise<AgentProcess> {
  const storage = opts.storage ?? join(tmpdir("pvr-agent-"), "storage");
  const proc = Bun.spawn([BUN, CLI, "agent", "--listen", opts.listen ?? "127.0.0.1:0", "--storage", storage, ...(opts.args ?? [])], {
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, ...opts.env },
  });
  let text = "";
  const reader = (proc.stderr as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const pump = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      text += decoder.decode(value, { stream: true });
    }
  })();
  const deadline = Date.now() + 15_000;
  let m: RegExpExecArray | null = null;
  while (!(m = /listening on (http:\/\/\S+:(\d+)\/cgi-bin\/pvr)/.exec(text))) {
    if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`agent did not start: ${text}`);
    await Bun.sleep(20);
  }
  return {
    proc,
    base: m[1] as string,
    port: Number(m[2]),
    storage,
    log: () => text,
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      proc.kill(signal);
      const code = await proc.exited;
      await pump.catch(() => {});
      return code;
    },
  };
}

export interface CurlResult {
  status: number;
  headers: Record<string, string>;
  body: string;
  exit: number;
}

/** Runs curl (a real, independent HTTP client) and returns the last response. */
export function curl(args: string[]): CurlResult {
  const dir = mkdtempSync(join(osTmp(), "pvr-curl-"));
  try {
    const r = Bun.spawnSync(["curl", "-sS", "-D", join(dir, "h"), "-o", join(dir, "b"), "-w", "%{http_code}", ...args], { stdout: "pipe", stderr: "pipe" });
    const headers: Record<string, string> = {};
    let raw = "";
    try {
      raw = readFileSync(join(dir, "h"), "utf8");
    } catch {}
    const blocks = raw.split(/\r\n\r\n/).filter((b) => b.trim());
    for (const line of (blocks[blocks.length - 1] ?? "").split("\r\n").slice(1)) {
      const i = line.indexOf(":");
      if (i > 0) headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
    }
    let body = "";
    try {
      body = readFileSync(join(dir, "b"), "utf8");
    } catch {}
    return { status: Number(r.stdout.toString()), headers, body, exit: r.exitCode ?? -1 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A file holding `data`, for `curl --data-binary @file`. */
export function tempFile(data: string | Uint8Array): string {
  const p = join(tmpdir("pvr-data-"), "data");
  writeFileSync(p, data);
  return p;
}

/** Sends raw bytes on a TCP connection and closes it (or waits for the reply). */
export function rawRequest(port: number, bytes: string, opts: { closeAfterMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    let reply = "";
    const s = connect(port, "127.0.0.1", () => {
      s.write(bytes);
      if (opts.closeAfterMs !== undefined) setTimeout(() => (s.destroy(), resolve(reply)), opts.closeAfterMs);
    });
    s.on("data", (d) => (reply += d.toString()));
    s.on("end", () => resolve(reply));
    s.on("error", reject);
  });
}

/** objects/ (temp dir included) and trails/ of a storage root. */
export function snapshotStorage(storage: string): { objects: Record<string, string>; trails: Record<string, string> } {
  return { objects: snapshotTree(join(storage, "objects")), trails: snapshotTree(join(storage, "trails")) };
}

/** Names of installed objects (the temp dir is not an object). */
export function objectNames(storage: string): string[] {
  return Object.keys(snapshotTree(join(storage, "objects"))).filter((n) => n !== ".pvr-tmp");
}
