/**
 * PvSim: a simulator of Pantavisor's pv-ctrl socket (device.md 2, 6, 7) served with
 * Bun.serve({ unix }) on a real unix socket, over a throw-away /storage (disk.ts). Requests whose
 * Host is neither absent, empty nor "localhost" are dropped without an answer (ctrl_router_cb).
 * `reboot(ms)` stops serving (the socket file disappears), forgets what Pantavisor keeps in memory,
 * waits, boots from what is on disk and serves again. See README.md for what is modelled.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { registerCommands } from "./commands";
import { Disk } from "./disk";
import { registerMeta } from "./meta";
import { registerObjects } from "./objects";
import { fail, Router } from "./router";
import { registerSteps } from "./steps";
import { Updater } from "./updater";

export interface PvSimOptions {
  /** Delay between two progress statuses (ms, default 40). */
  stepMs: number;
  /** Delay before an accepted command runs: the state machine's next WAIT cycle (ms, default 30). */
  commandDelayMs: number;
  /** How long a reboot keeps the socket away (ms, default 150). */
  rebootMs: number;
  /** How the next runs end: UPDATED/DONE ("ok"), ERROR + rollback, or WONTGO. */
  outcome: "ok" | "error" | "wontgo";
  /** LOCAL_RUN takes the reboot path too (a state change that needs a reboot). */
  rebootOnRun: boolean;
  /** The caller is a mgmt platform (default true); false gives 403 on mgmt endpoints. */
  mgmt: boolean;
  /** Uploads (objects, steps) run out of space part-way. */
  diskFull: boolean;
  /** With diskFull, object uploads answer 200 anyway (the [GAP] of 2.3.1). */
  uploadBug200: boolean;
  /** Replaces the state verdict of PUT /steps (e.g. "Secureboot: Signature validation failed"). */
  stateError?: string;
  /** PV_CONTROL_REMOTE (default false, as in appengine: always local mode). */
  controlRemote: boolean;
  claimed: boolean;
  debugShell: boolean;
  /** The caller's status goal is READY, so POST /signal {"type":"ready"} is accepted. */
  readyGoal: boolean;
}

export interface SeenRequest {
  method: string;
  uri: string;
  host: string | null;
  contentLength: string | null;
  transferEncoding: string | null;
  status: number | "dropped";
}

export const FACTORY_STATE = '{"#spec":"pantavisor-service-system@1","device.json":{"groups":[]}}';

export class PvSim {
  readonly socketPath: string;
  readonly disk: Disk;
  readonly updater = new Updater(this);
  readonly requests: SeenRequest[] = [];
  opts: PvSimOptions;
  closed = false;
  private server: ReturnType<typeof Bun.serve> | null = null;
  private rebooting: Promise<void> | null = null;
  private readonly router = new Router();

  private constructor(readonly dir: string, opts: Partial<PvSimOptions>) {
    this.opts = {
      stepMs: 40, commandDelayMs: 30, rebootMs: 150, outcome: "ok", rebootOnRun: false, mgmt: true, diskFull: false,
      uploadBug200: false, controlRemote: false, claimed: false, debugShell: false, readyGoal: false, ...opts,
    };
    this.socketPath = join(dir, "pv", "pv-ctrl");
    mkdirSync(join(dir, "pv"), { recursive: true });
    this.disk = new Disk(join(dir, "storage"));
    for (const reg of [registerObjects, registerSteps, registerMeta, registerCommands]) reg(this.router, this);
  }

  /** A fresh device in a temp dir (or `dir`), factory revision "0" running, serving at once. */
  static start(opts: Partial<PvSimOptions> & { dir?: string; factoryState?: string } = {}): PvSim {
    const sim = new PvSim(opts.dir ?? mkdtempSync(join(tmpdir(), "pvsim-")), opts);
    sim.disk.init(opts.factoryState ?? FACTORY_STATE, sim.remoteMode ? "remote" : "local");
    sim.listen();
    return sim;
  }

  get up(): boolean {
    return this.server !== null;
  }

  get remoteMode(): boolean {
    return this.opts.controlRemote && !this.disk.current().startsWith("locals/");
  }

  /** Switches the running revision (trails/current, pantavisor.revision, pantavisor.mode). */
  setCurrent(rev: string): void {
    const remote = this.opts.controlRemote && !rev.startsWith("locals/");
    this.disk.setCurrent(rev, remote ? "remote" : "local");
  }

  /** Simulates a reboot: no socket for `ms`, memory lost, then boot from disk and serve again. */
  reboot(ms = this.opts.rebootMs): Promise<void> {
    this.rebooting ??= (async () => {
      this.updater.reset();
      this.server?.stop(true);
      this.server = null;
      await Bun.sleep(ms);
      if (this.closed) return;
      this.updater.boot();
      this.listen();
    })().finally(() => {
      this.rebooting = null;
    });
    return this.rebooting;
  }

  /** Stops for good; `remove` also deletes the temp dir. */
  stop(remove = true): void {
    this.closed = true;
    this.updater.reset();
    this.server?.stop(true);
    this.server = null;
    if (remove) rmSync(this.dir, { recursive: true, force: true });
  }

  private listen(): void {
    rmSync(this.socketPath, { force: true });
    this.server = Bun.serve({ unix: this.socketPath, fetch: (req) => this.handle(req) });
  }

  private async handle(req: Request): Promise<Response> {
    const url = req.url;
    // absolute when a Host was sent, the bare request target otherwise
    const uri = url.startsWith("/") ? url : url.slice(url.indexOf("/", url.indexOf("://") + 3));
    const host = req.headers.get("host");
    const seen: SeenRequest = {
      method: req.method, uri, host, contentLength: req.headers.get("content-length"),
      transferEncoding: req.headers.get("transfer-encoding"), status: "dropped",
    };
    this.requests.push(seen);
    if (host && host.replace(/:\d+$/, "") !== "localhost") {
      // the router returns -1 and libevent closes the connection: no status line at all
      return new Response(new ReadableStream({ pull: (c) => c.error(undefined) }));
    }
    const body = new Uint8Array(await req.arrayBuffer());
    const cl = seen.contentLength === null ? null : Number(seen.contentLength);
    let res: Response;
    try {
      res = await this.router.route({ uri, method: req.method, body, contentLength: cl, headers: req.headers }, this.opts.mgmt);
    } catch (err) {
      res = fail(500, `pvsim: ${(err as Error).message}`); // a simulator bug, not a pv-ctrl answer
    }
    seen.status = res.status;
    return res;
  }
}
