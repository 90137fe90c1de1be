/**
 * A bulk GET over a plain TCP socket, for object bytes from a pvr agent: Bun's fetch hands a
 * body over in 64 KiB pieces, each copied twice between its HTTP thread and JavaScript (a
 * quarter of a 1 GiB clone's CPU on a two-core machine went there); read from the socket here,
 * a body arrives in pieces of up to 512 KiB, copied once. Only what such a download needs is
 * spoken: `http:` URLs with no proxy in the way, one request per connection, and a 200 or 206
 * answer framed by Content-Length. Anything else (TLS, a proxy, a redirect, a chunked or
 * unframed body) is asked again through fetch, so callers see one Response either way.
 */
import { PvrError } from "../../errors";

/** Longest response head accepted. */
const MAX_HEAD = 64 << 10;
/** Body pieces queued before the socket stops reading (the consumer waits on its disk). */
const QUEUED_PIECES = 8;

/** True when `url` can be fetched here: plain http with no proxy configured. */
export function plainGetUsable(url: URL, proxy: string | undefined, env: Record<string, string | undefined> = process.env): boolean {
  if (url.protocol !== "http:" || proxy) return false;
  return !(env.http_proxy || env.HTTP_PROXY || env.all_proxy || env.ALL_PROXY);
}

interface Head {
  status: number;
  statusText: string;
  headers: Headers;
}

/** Parses a response head (without its blank line); undefined when it is not HTTP/1.x. */
export function parseHead(text: string): Head | undefined {
  const lines = text.split("\r\n");
  const m = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(lines[0] ?? "");
  if (!m) return undefined;
  const headers = new Headers();
  for (const line of lines.slice(1)) {
    const i = line.indexOf(":");
    if (i <= 0) return undefined;
    headers.append(line.slice(0, i).trim(), line.slice(i + 1).trim());
  }
  return { status: Number(m[1]), statusText: m[2] ?? "", headers };
}

/** Why a head is left to fetch, or "" when this module can read its body. */
function unsupported(head: Head): string {
  if (head.status !== 200 && head.status !== 206) return `status ${head.status}`;
  if (head.headers.has("transfer-encoding")) return "transfer-encoding";
  if (!/^\d{1,16}$/.test(head.headers.get("content-length") ?? "")) return "no content-length";
  return "";
}

class Fallback extends Error {}

/** A broken answer: a network failure like a dropped connection (retried), not a final error. */
function protocolError(message: string): Error {
  return Object.assign(new Error(message), { code: "EPROTO" });
}

/**
 * GET `url` with `headers`; resolves with the Response once its head arrived. The body is a
 * stream of the socket's pieces that errors if the connection ends before Content-Length bytes.
 */
export function plainGet(url: URL, headers: Record<string, string>, signal: AbortSignal | undefined, fallback: () => Promise<Response>): Promise<Response> {
  return plainGetOnce(url, headers, signal).catch((err) => {
    if (err instanceof Fallback) return fallback();
    throw err;
  });
}

function plainGetOnce(url: URL, headers: Record<string, string>, signal: AbortSignal | undefined): Promise<Response> {
  const lines = [`GET ${url.pathname}${url.search} HTTP/1.1`, `Host: ${url.host}`, "Connection: close"];
  for (const [k, v] of Object.entries(headers)) {
    if (/[\r\n]/.test(k + v)) return Promise.reject(PvrError.usage(`header ${k} holds a line break`));
    if (!/^(host|connection)$/i.test(k)) lines.push(`${k}: ${v}`);
  }
  const request = `${lines.join("\r\n")}\r\n\r\n`;
  const port = Number(url.port || 80);
  const hostname = url.hostname.replace(/^\[(.*)\]$/, "$1");

  return new Promise<Response>((resolve, reject) => {
    let headBuf: Buffer | undefined = Buffer.alloc(0);
    let remaining = 0;
    let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
    let socket: Bun.Socket | undefined;
    let settled = false;
    let finished = false;
    const fail = (err: unknown) => {
      if (finished) return;
      finished = true;
      signal?.removeEventListener("abort", onAbort);
      socket?.terminate();
      if (!settled) {
        settled = true;
        reject(err);
      } else controller?.error(err);
    };
    const onAbort = () => fail(signal?.reason ?? new DOMException("aborted", "AbortError"));
    if (signal?.aborted) return onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
    const done = () => {
      finished = true;
      signal?.removeEventListener("abort", onAbort);
      socket?.end();
      controller?.close();
    };
    const body = (s: Bun.Socket, piece: Uint8Array) => {
      if (piece.length === 0 || !controller) return;
      if (piece.length > remaining) return fail(protocolError(`GET ${url.href}: the server sent more than its Content-Length`));
      remaining -= piece.length;
      controller.enqueue(piece);
      if (remaining === 0) return done();
      if ((controller.desiredSize ?? 1) <= 0) s.pause();
    };
    const onHead = (s: Bun.Socket, text: string, rest: Uint8Array) => {
      const head = parseHead(text);
      if (!head) return fail(protocolError(`GET ${url.href}: the server did not answer HTTP/1.x`));
      if (unsupported(head)) return fail(new Fallback());
      remaining = Number(head.headers.get("content-length"));
      const stream = new ReadableStream<Uint8Array>(
        {
          start: (c) => {
            controller = c;
          },
          pull: () => {
            if (!finished) s.resume();
          },
          cancel: () => {
            finished = true;
            signal?.removeEventListener("abort", onAbort);
            s.terminate();
          },
        },
        { highWaterMark: QUEUED_PIECES },
      );
      settled = true;
      resolve(new Response(stream, { status: head.status, statusText: head.statusText, headers: head.headers }));
      if (remaining === 0) return done();
      body(s, rest);
    };
    Bun.connect({
      hostname,
      port,
      socket: {
        open(s) {
          socket = s;
          if (finished) return void s.terminate();
          s.write(request);
        },
        data(s, piece) {
          if (finished) return;
          if (!headBuf) return body(s, piece);
          headBuf = Buffer.concat([headBuf, piece]);
          const end = headBuf.indexOf("\r\n\r\n");
          if (end < 0) {
            if (headBuf.length > MAX_HEAD) fail(protocolError(`GET ${url.href}: a response head over ${MAX_HEAD} bytes`));
            return;
          }
          const text = headBuf.toString("latin1", 0, end);
          const rest = headBuf.subarray(end + 4);
          headBuf = undefined;
          onHead(s, text, rest);
        },
        close() {
          if (finished) return;
          if (!settled) fail(Object.assign(new Error("the server closed the connection before answering"), { code: "ECONNRESET" }));
          else fail(Object.assign(new Error(`connection closed with ${remaining} bytes of the body missing`), { code: "ECONNRESET" }));
        },
        error(_s, err) {
          fail(err);
        },
        connectError(_s, err) {
          fail(err);
        },
      },
    }).catch(fail);
  });
}
