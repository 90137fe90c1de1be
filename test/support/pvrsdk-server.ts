/**
 * A protocol-faithful pvr-sdk endpoint for tests (spec pvr-format 8.10 and A.4, device.md 3.3),
 * on a real socket (node:http, so a test can drop a connection mid-body). It keeps one current
 * state, an object map and user/device meta in memory, records every request, and can inject
 * faults: a connection dropped (or gone silent) after N bytes of a blob, wrong blob bytes, and transient statuses
 * (503 + Retry-After) on matching paths. Routes live in pvrsdk-routes.ts.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { handle } from "./pvrsdk-routes";

export interface Seen {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  status?: number;
}

export interface ProgressDoc {
  status: string;
  "status-msg": string;
  progress: number;
  logs?: string;
}

export interface Faults {
  /** sha → drop the connection after this many body bytes, `times` times. */
  drop: Map<string, { after: number; times: number }>;
  /** sha → send this many body bytes, then go silent (the socket stays open), `times` times. */
  stall: Map<string, { after: number; times: number }>;
  /** shas whose blob answers ignore Range (always 200 with the whole object). */
  noRange: Set<string>;
  /** shas whose blob bytes are replaced by garbage of the same length. */
  wrong: Set<string>;
  /** Requests matching `path` answer `status` `times` times. */
  fail: { method?: string; path: RegExp; status: number; times: number; retryAfter?: string }[];
}

export class PvrSdkServer {
  readonly base = "/cgi-bin/pvr";
  stateText: string | undefined;
  readonly objects = new Map<string, Buffer>();
  readonly seen: Seen[] = [];
  /** Raw bodies and headers of `POST <post-url>`. */
  readonly posts: { body: Buffer; headers: Record<string, string | string[] | undefined> }[] = [];
  readonly statePuts: Buffer[] = [];
  readonly meta = { "user-meta": new Map<string, string>(), "device-meta": new Map<string, string>() };
  readonly faults: Faults = { drop: new Map(), stall: new Map(), noRange: new Set(), wrong: new Set(), fail: [] };
  /** Progress documents each posted revision goes through, one per GET (the last repeats). */
  progressScript: ProgressDoc[] = [
    { status: "INPROGRESS", "status-msg": "Transitioning to new revision without rebooting", progress: 50 },
    { status: "TESTING", "status-msg": "Awaiting to see if update is stable", progress: 75 },
    { status: "UPDATED", "status-msg": "Update finished, revision not set as rollback point", progress: 100 },
  ];
  readonly progressSeen = new Map<string, number>();
  /** Leave `progress-url` out of post answers (clients must derive it). */
  omitProgressUrl = false;
  revisions = 0;
  private server!: Server;
  port = 0;

  constructor(readonly host = "127.0.0.1") {}

  static async start(opts: { host?: string; state?: string; objects?: Record<string, Buffer | string> } = {}): Promise<PvrSdkServer> {
    const s = new PvrSdkServer(opts.host);
    s.stateText = opts.state;
    for (const [sha, data] of Object.entries(opts.objects ?? {})) s.objects.set(sha, Buffer.from(data));
    s.server = createServer((req, res) => {
      void s.dispatch(req, res);
    });
    await new Promise<void>((resolve, reject) => {
      s.server.once("error", reject);
      s.server.listen(0, s.host, resolve);
    });
    s.port = (s.server.address() as AddressInfo).port;
    return s;
  }

  get origin(): string {
    return `http://${this.host.includes(":") ? `[${this.host}]` : this.host}:${this.port}`;
  }

  get url(): string {
    return `${this.origin}${this.base}`;
  }

  /** Requests seen, as "METHOD path" strings. */
  lines(): string[] {
    return this.seen.map((s) => `${s.method} ${s.path}`);
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const rec: Seen = { method: req.method ?? "GET", path, headers: { ...req.headers } };
    this.seen.push(rec);
    const fault = this.faults.fail.find((f) => f.times > 0 && f.path.test(path) && (!f.method || f.method === req.method));
    if (fault) {
      fault.times--;
      rec.status = fault.status;
      res.writeHead(fault.status, fault.retryAfter ? { "Retry-After": fault.retryAfter } : {});
      res.end("busy");
      return;
    }
    try {
      rec.status = await handle(this, req, res, path);
    } catch (err) {
      rec.status = 500;
      if (!res.headersSent) res.writeHead(500);
      res.end(String(err));
    }
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections?.();
      this.server.close(() => resolve());
    });
  }
}
