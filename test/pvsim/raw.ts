/**
 * Raw HTTP over a unix socket, for tests that must send what fetch never would (another Host,
 * no Host, a query string, Content-Length: 0) and see exactly what comes back, including nothing.
 */

export interface RawResponse {
  /** null when the server closed the connection without a status line. */
  status: number | null;
  headers: Record<string, string>;
  body: string;
}

/** Sends `head` (request line + headers, without the final blank line) and `body`, reads to EOF. */
export function rawRequest(socketPath: string, head: string, body = ""): Promise<RawResponse> {
  const bytes = new TextEncoder().encode(body);
  const text = `${head}\r\nConnection: close\r\n\r\n`;
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    Bun.connect({
      unix: socketPath,
      socket: {
        open(s) {
          s.write(text);
          if (bytes.length) s.write(bytes);
        },
        data(_s, d) {
          chunks.push(new Uint8Array(d));
        },
        close() {
          resolve(parse(Buffer.concat(chunks).toString("utf8")));
        },
        error(_s, e) {
          reject(e);
        },
      },
    }).catch(reject);
  });
}

function parse(raw: string): RawResponse {
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(raw);
  if (!m) return { status: null, headers: {}, body: raw };
  const end = raw.indexOf("\r\n\r\n");
  const headers: Record<string, string> = {};
  for (const line of raw.slice(0, end).split("\r\n").slice(1)) {
    const i = line.indexOf(":");
    headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
  }
  let body = raw.slice(end + 4);
  if (headers["transfer-encoding"] === "chunked") body = unchunk(body);
  return { status: Number(m[1]), headers, body };
}

function unchunk(s: string): string {
  let out = "";
  let i = 0;
  for (;;) {
    const eol = s.indexOf("\r\n", i);
    const n = Number.parseInt(s.slice(i, eol), 16);
    if (!n) return out;
    out += s.slice(eol + 2, eol + 2 + n);
    i = eol + 2 + n + 2;
  }
}
