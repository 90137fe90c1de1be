/**
 * /user-meta and /device-meta (device.md 6.3; pv:ctrl/ctrl_usrmeta_ep.c, ctrl_devmeta_ep.c):
 * GET lists one JSON object (object/array values raw, the rest as strings); PUT takes the last
 * path segment as the key, as-is (no decoding, a "?query" stays in it), and needs
 * Content-Length >= 1 (else 400) and at most 4096 bytes (else 507); DELETE is 404 when absent.
 * Values are files under cache/usrmeta and cache/devmeta (the per-prefix split copies of 6.1
 * are not modelled).
 */
import { fail, json, ok, type Router } from "./router";
import type { MetaKind } from "./disk";
import type { PvSim } from "./sim";

const MAX = 4096;

function key(uri: string): string {
  return uri.slice(uri.lastIndexOf("/") + 1);
}

export function registerMeta(r: Router, sim: PvSim): void {
  for (const kind of ["user", "device"] as MetaKind[]) {
    const label = kind === "user" ? "user meta" : "device meta";
    const Label = kind === "user" ? "User meta" : "Device meta";
    r.add(`/${kind}-meta`, "GET", true, () => json(sim.disk.metaJson(kind)));
    r.add(`/${kind}-meta/{}`, "PUT", true, (c) => {
      if (c.contentLength === null || c.contentLength < 1) return fail(400, `Cannot add or update ${label}`);
      if (c.body.length > MAX) return fail(507, "Not enough disk space available");
      const k = key(c.uri);
      if (k === "." || k === "..") return fail(500, `Cannot add or update ${label}`);
      sim.disk.putMeta(kind, k, c.body);
      return ok();
    });
    r.add(`/${kind}-meta/{}`, "DELETE", true, (c) => {
      const k = key(c.uri);
      if (k === "." || k === ".." || !sim.disk.deleteMeta(kind, k)) return fail(404, `${Label} does not exist`);
      return ok();
    });
  }
}
