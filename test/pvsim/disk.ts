/**
 * The simulator's /storage (device.md 1.2-1.4, 6.1, 7.1): trails/<rev>/.pvr/json,
 * trails/<rev>/.pv/{progress,commitmsg,done}, trails/current -> <rev>, objects/<sha>,
 * cache/usrmeta/<key>, cache/devmeta/<key>, boot/uboot.txt ("pv_rev=..\0pv_try=..\0").
 * Everything lives on disk so a simulated reboot keeps it.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";

const PROGRESS_PCT: Record<string, number> = { NEW: 0, QUEUED: 5, DOWNLOADING: 25, INPROGRESS: 50, TESTING: 75 };

export type MetaKind = "user" | "device";

export class Disk {
  constructor(readonly root: string) {}

  get objects(): string {
    return join(this.root, "objects");
  }

  /** trails/<rev>, or null when `rev` would lead outside trails/ (the real server does not check). */
  trail(rev: string): string | null {
    const base = join(this.root, "trails");
    const p = resolve(base, rev);
    const rel = relative(base, p);
    return rel && !rel.startsWith("..") ? p : null;
  }

  read(rev: string, file: string): string | null {
    const t = this.trail(rev);
    if (!t) return null;
    try {
      return readFileSync(join(t, file), "utf8");
    } catch {
      return null;
    }
  }

  write(rev: string, file: string, data: string | Uint8Array): void {
    const t = this.trail(rev);
    if (!t) throw new Error(`bad revision ${rev}`);
    mkdirSync(join(t, file, ".."), { recursive: true });
    writeFileSync(join(t, file), data);
  }

  /** Writes .pv/progress the way _ser_progress does (compact, fixed key order). */
  setProgress(rev: string, status: string, msg: string, logs?: string): void {
    const p: Record<string, unknown> = { status, "status-msg": msg, progress: PROGRESS_PCT[status] ?? 100, retries: 0 };
    if (logs) p.logs = logs;
    this.write(rev, ".pv/progress", JSON.stringify(p));
  }

  status(rev: string): string | null {
    try {
      return (JSON.parse(this.read(rev, ".pv/progress") ?? "") as { status: string }).status;
    } catch {
      return null;
    }
  }

  /** GET /steps (pv_storage_get_revisions_string): locals first; progress/commitmsg over 512 B are dropped. */
  revisionsJson(): string {
    const trails = join(this.root, "trails");
    const names = [
      ...readdirSync(join(trails, "locals")).map((n) => `locals/${n}`),
      ...readdirSync(trails).filter((n) => n !== "current" && n !== "locals"),
    ];
    const lines = names.map((name) => {
      const t = join(trails, name);
      const date = `${statSync(t).mtime.toISOString().slice(0, 19)}Z`;
      const progress = this.read(name, ".pv/progress");
      const msg = this.read(name, ".pv/commitmsg");
      const p = progress && progress.length <= 512 ? progress : "{}";
      const m = msg && msg.length <= 512 ? JSON.stringify(msg).slice(1, -1) : "";
      return `{"name":"${name}", "date":"${date}", "commitmsg":"${m}", "progress":${p}}`;
    });
    return `[${lines.join(",")}]`;
  }

  /** boot/uboot.txt: the committed revision and the one to try. */
  bootEnv(): { rev: string; tryRev: string | null } {
    const env: Record<string, string> = {};
    for (const rec of readFileSync(join(this.root, "boot", "uboot.txt"), "latin1").split("\0")) {
      const i = rec.indexOf("=");
      if (i > 0) env[rec.slice(0, i)] = rec.slice(i + 1);
    }
    return { rev: env.pv_rev ?? "0", tryRev: env.pv_try || null };
  }

  setBootEnv(rev: string, tryRev: string | null): void {
    writeFileSync(join(this.root, "boot", "uboot.txt"), `pv_rev=${rev}\0${tryRev ? `pv_try=${tryRev}\0` : ""}`);
  }

  /** Makes `rev` the running revision: trails/current and device-meta pantavisor.revision/mode. */
  setCurrent(rev: string, mode: "local" | "remote"): void {
    const link = join(this.root, "trails", "current");
    rmSync(link, { force: true });
    symlinkSync(rev, link);
    this.putMeta("device", "pantavisor.revision", rev);
    this.putMeta("device", "pantavisor.mode", mode);
  }

  /** The running revision (trails/current). */
  current(): string {
    return readlinkSync(join(this.root, "trails", "current"));
  }

  metaDir(kind: MetaKind): string {
    return join(this.root, "cache", kind === "user" ? "usrmeta" : "devmeta");
  }

  /** GET /{user,device}-meta: objects/arrays raw, anything else as a JSON string. */
  metaJson(kind: MetaKind): string {
    const dir = this.metaDir(kind);
    const parts = readdirSync(dir).map((k) => {
      const v = readFileSync(join(dir, k), "utf8");
      let raw = JSON.stringify(v);
      try {
        const parsed = JSON.parse(v) as unknown;
        if (parsed !== null && typeof parsed === "object") raw = v;
      } catch {
        // plain text
      }
      return `${JSON.stringify(k)}:${raw}`;
    });
    return `{${parts.join(",")}}`;
  }

  putMeta(kind: MetaKind, key: string, value: string | Uint8Array): void {
    writeFileSync(join(this.metaDir(kind), key), value);
  }

  deleteMeta(kind: MetaKind, key: string): boolean {
    const p = join(this.metaDir(kind), key);
    if (!existsSync(p)) return false;
    rmSync(p);
    return true;
  }

  /** A fresh device: factory revision 0 committed and running, the sample device-meta of 6.3. */
  init(factoryState: string, mode: "local" | "remote"): void {
    for (const d of ["objects", "trails/locals", "boot", "cache/usrmeta", "cache/devmeta", "logs"]) {
      mkdirSync(join(this.root, d), { recursive: true });
    }
    this.write("0", ".pvr/json", factoryState);
    this.write("0", ".pvr/config", '{"ObjectsDir": "/storage/objects"}');
    this.setProgress("0", "DONE", "Factory revision");
    this.write("0", ".pv/done", "");
    this.setBootEnv("0", null);
    const meta = { "pantavisor.status": "READY", "pantahub.claimed": "0", "pantahub.online": "0", "pantavisor.arch": "x86_64/64/EL" };
    for (const [k, v] of Object.entries(meta)) this.putMeta("device", k, v);
    this.setCurrent("0", mode);
  }
}
