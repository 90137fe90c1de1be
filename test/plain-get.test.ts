/**
 * agent/remote/http/plain-get.ts against real TCP servers on loopback (Bun.listen, so every byte
 * of the answer is ours to choose): bodies arrive whole and in order, a resumed range works,
 * what the module does not speak goes to fetch, and a short, oversized, aborted or non-HTTP
 * answer is an error rather than a quiet short body.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { plainGet, plainGetUsable } from "../agent/remote/http/plain-get";

interface Conn {
  req: string;
  answered: boolean;
  /** Bytes still to send, and whether to close once they are out. */
  pending: Uint8Array[];
  closeAfter: boolean;
}
type Sock = Bun.Socket<Conn>;
/** Answers a whole request head: the parts to send, and whether to close after them. */
type Answer = (request: string) => { parts: (string | Uint8Array)[]; close?: boolean } | "hang";

const servers: { stop(closeActive?: boolean): void }[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.stop(true);
});

function pump(sock: Sock): void {
  const c = sock.data;
  while (c.pending.length) {
    const head = c.pending[0] as Uint8Array;
    const n = sock.write(head);
    if (n < head.length) {
      c.pending[0] = head.subarray(Math.max(0, n));
      return;
    }
    c.pending.shift();
  }
  if (c.closeAfter) sock.end();
}

/** A TCP server that answers each connection's request with `answer`. */
function server(answer: Answer, hostname = "127.0.0.1"): string {
  const s = Bun.listen<Conn>({
    hostname,
    port: 0,
    socket: {
      open(sock) {
        sock.data = { req: "", answered: false, pending: [], closeAfter: false };
      },
      data(sock, d) {
        sock.data.req += d.toString("latin1");
        if (sock.data.answered || !sock.data.req.includes("\r\n\r\n")) return;
        sock.data.answered = true;
        const a = answer(sock.data.req);
        if (a === "hang") return;
        sock.data.pending = a.parts.map((p) => (typeof p === "string" ? Buffer.from(p, "latin1") : p));
        sock.data.closeAfter = a.close ?? true;
        pump(sock);
      },
      drain: pump,
    },
  });
  servers.push(s);
  return `http://${hostname.includes(":") ? `[${hostname}]` : hostname}:${s.port}`;
}

const noFallback = () => Promise.reject(new Error("fell back to fetch"));

async function bodyOf(res: Response, slow = false): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const c of res.body as unknown as AsyncIterable<Uint8Array>) {
    parts.push(new Uint8Array(c));
    if (slow) await Bun.sleep(1);
  }
  return Buffer.concat(parts);
}

describe("plain GET", () => {
  test("a 200 body arrives whole and in order, with the request's headers sent and the answer's kept", async () => {
    const payload = randomBytes(12 << 20);
    let seen = "";
    const base = server((req) => {
      seen = req;
      return { parts: [`HTTP/1.1 200 OK\r\nContent-Length: ${payload.length}\r\nX-Thing: a\r\nX-Thing: b\r\n\r\n`, payload] };
    });
    const res = await plainGet(new URL(`${base}/objects/x/blob?a=1`), { Authorization: "Bearer t", "Accept-Encoding": "identity" }, undefined, noFallback);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-thing")).toBe("a, b");
    expect(res.headers.get("content-length")).toBe(String(payload.length));
    // a consumer slower than the socket still gets every byte (the socket pauses, nothing is lost)
    expect((await bodyOf(res, true)).equals(payload)).toBe(true);
    expect(seen).toStartWith("GET /objects/x/blob?a=1 HTTP/1.1\r\n");
    expect(seen).toContain(`\r\nHost: ${new URL(base).host}\r\n`);
    expect(seen).toContain("\r\nConnection: close\r\n");
    expect(seen).toContain("\r\nAuthorization: Bearer t\r\n");
  });

  test("a resumed range (206) and an empty body; an IPv6 literal host", async () => {
    const payload = randomBytes(1000);
    const base = server((req) => {
      const m = /\r\nRange: bytes=(\d+)-\r\n/.exec(req);
      if (!m) return { parts: ["HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"] };
      const from = Number(m[1]);
      return { parts: [`HTTP/1.1 206 Partial Content\r\nContent-Range: bytes ${from}-999/1000\r\nContent-Length: ${1000 - from}\r\n\r\n`, payload.subarray(from)] };
    }, "::1");
    const res = await plainGet(new URL(`${base}/blob`), { Range: "bytes=400-" }, undefined, noFallback);
    expect(res.status).toBe(206);
    expect((await bodyOf(res)).equals(payload.subarray(400))).toBe(true);
    const empty = await plainGet(new URL(`${base}/blob`), {}, undefined, noFallback);
    expect(empty.status).toBe(200);
    expect((await bodyOf(empty)).length).toBe(0);
  });

  test("a redirect, an error status, a chunked or an unframed body are asked again through fetch", async () => {
    const heads = [
      "HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
      "HTTP/1.1 200 OK\r\n\r\nuntil close",
    ];
    for (const head of heads) {
      const base = server(() => ({ parts: [head] }));
      let asked = 0;
      const res = await plainGet(new URL(`${base}/blob`), {}, undefined, async () => {
        asked++;
        return new Response("from fetch", { status: 299 });
      });
      expect([asked, res.status, await res.text()]).toEqual([1, 299, "from fetch"]);
    }
  });

  test("a body cut short, a body longer than its Content-Length and a non-HTTP answer are errors", async () => {
    const short = server(() => ({ parts: ["HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n", randomBytes(1200)] }));
    const res = await plainGet(new URL(`${short}/blob`), {}, undefined, noFallback);
    await expect(bodyOf(res)).rejects.toThrow(/connection closed with 3800 bytes of the body missing/);

    const long = server(() => ({ parts: ["HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", "0123456789abcdef"] }));
    const res2 = await plainGet(new URL(`${long}/blob`), {}, undefined, noFallback);
    await expect(bodyOf(res2)).rejects.toThrow(/more than its Content-Length/);

    const garbage = server(() => ({ parts: ["SSH-2.0-OpenSSH_9.2\r\n\r\n"] }));
    await expect(plainGet(new URL(`${garbage}/blob`), {}, undefined, noFallback)).rejects.toThrow(/did not answer HTTP\/1.x/);

    const hugeHead = server(() => ({ parts: [`HTTP/1.1 200 OK\r\nX-Big: ${"x".repeat(70_000)}`], close: false }));
    await expect(plainGet(new URL(`${hugeHead}/blob`), {}, undefined, noFallback)).rejects.toThrow(/response head over/);

    const closed = server(() => ({ parts: [] }));
    await expect(plainGet(new URL(`${closed}/blob`), {}, undefined, noFallback)).rejects.toThrow(/closed the connection before answering/);
  });

  test("an abort ends a wait for the head and a body in progress", async () => {
    const silent = server(() => "hang");
    const ctrl = new AbortController();
    const waiting = plainGet(new URL(`${silent}/blob`), {}, ctrl.signal, noFallback);
    setTimeout(() => ctrl.abort(new DOMException("no data for 50 ms", "TimeoutError")), 50);
    await expect(waiting).rejects.toThrow(/no data for 50 ms/);

    const trickle = server(() => ({ parts: ["HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", "half"], close: false }));
    const ctrl2 = new AbortController();
    const res = await plainGet(new URL(`${trickle}/blob`), {}, ctrl2.signal, noFallback);
    setTimeout(() => ctrl2.abort(new DOMException("stalled", "TimeoutError")), 50);
    await expect(bodyOf(res)).rejects.toThrow(/stalled/);
  });

  test("only plain http without a proxy is spoken here", () => {
    expect(plainGetUsable(new URL("http://10.0.0.5:12368/x"), undefined, {})).toBe(true);
    expect(plainGetUsable(new URL("https://hub.example/x"), undefined, {})).toBe(false);
    expect(plainGetUsable(new URL("http://10.0.0.5/x"), "http://proxy:3128", {})).toBe(false);
    expect(plainGetUsable(new URL("http://10.0.0.5/x"), undefined, { HTTP_PROXY: "http://proxy:3128" })).toBe(false);
    expect(plainGetUsable(new URL("http://10.0.0.5/x"), undefined, { http_proxy: "http://proxy:3128" })).toBe(false);
  });
});
