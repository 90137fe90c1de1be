/**
 * /objects (device.md 2.2, 2.3.1; pv:ctrl/ctrl_objects_ep.c, ctrl_upload.c): list with sizes as
 * strings, upload straight into objects/<sha> with checksum verification afterwards (422 and the
 * file removed on mismatch), an existing valid object drains the body with 200, downloads are
 * streamed in 4 KiB chunks, and a missing object is 400 (not 404). The `diskFull` switch makes
 * uploads fail part-way: 507 by default, or 200 with `uploadBug200` (the [GAP] in 2.3.1); either
 * way the partial file stays behind, as on a device.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fail, json, ok, type Router, split } from "./router";
import type { PvSim } from "./sim";

function sha256(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

function objectName(uri: string): string | Response {
  const name = split(uri)[1] ?? "";
  return name.length === 64 ? name : fail(400, "Request has bad object name");
}

export function registerObjects(r: Router, sim: PvSim): void {
  r.add("/objects", "GET", true, () => {
    const dir = sim.disk.objects;
    const list = readdirSync(dir)
      .filter((n) => n.length === 64)
      .map((n) => ({ sha256: n, size: String(statSync(join(dir, n)).size) }));
    return json(JSON.stringify(list));
  });

  r.add("/objects/{}", "PUT", true, (c) => {
    const name = objectName(c.uri);
    if (name instanceof Response) return name;
    const path = join(sim.disk.objects, name);
    if (existsSync(path) && sha256(readFileSync(path)) === name) return ok(); // body already drained
    if (sim.opts.diskFull) {
      writeFileSync(path, c.body.subarray(0, c.body.length >> 1));
      return sim.opts.uploadBug200 ? ok() : fail(507, "Not enough disk space available");
    }
    writeFileSync(path, c.body);
    if (sha256(c.body) !== name) {
      rmSync(path, { force: true });
      return fail(422, "Object has bad checksum");
    }
    return ok();
  });

  r.add("/objects/{}", "GET", true, (c) => {
    const name = objectName(c.uri);
    if (name instanceof Response) return name;
    const path = join(sim.disk.objects, name);
    if (!existsSync(path)) return fail(400, "Request has bad object name");
    const data = readFileSync(path);
    let off = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(ctl) {
        if (off >= data.length) return ctl.close();
        ctl.enqueue(data.subarray(off, off + 4096));
        off += 4096;
      },
    });
    return new Response(stream, { headers: { "content-type": "application/octet-stream" } });
  });
}
