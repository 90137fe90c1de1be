/**
 * The pv-ctrl client's own rules (device.md 2.1): paths are sent byte for byte or refused,
 * socket probing order, transport failures as status 0, object uploads that lie about success.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { PantavisorBackend } from "../agent/device/pantavisor";
import { checkPath, findPvCtrlSocket, PVCTRL_SOCKET_CANDIDATES, PvCtrlError } from "../agent/device/pvctrl";
import { checkLocalRev, checkRev } from "../agent/device/revname";
import { PvrError } from "../agent/errors";
import { PvSim, type PvSimOptions } from "./pvsim/sim";

let sim: PvSim;
afterEach(() => sim?.stop());

function setup(opts: Partial<PvSimOptions> = {}): PantavisorBackend {
  sim = PvSim.start(opts);
  return new PantavisorBackend({ socketPath: sim.socketPath });
}

describe("client guards", () => {
  test("paths that fetch would encode or normalise, or that carry a query, are refused", () => {
    for (const ok of ["/steps/locals/a-b_c.1", "/user-meta/pvagent.key:x@y", "/objects"]) expect(() => checkPath(ok)).not.toThrow();
    for (const bad of ["/a?b", "/a#b", "/a%2F", "/a b", "/a/../b", "/a/./b", "/é", '/a"b', "/a\\b"]) {
      expect(() => checkPath(bad)).toThrow(PvrError);
    }
  });

  test("revision names", () => {
    for (const ok of ["locals/a", "locals/A-b_c.9", `locals/${"x".repeat(64)}`]) expect(checkLocalRev(ok)).toBe(ok);
    for (const bad of ["a", "locals/", "locals/.", "locals/..", "locals/a/b", `locals/${"x".repeat(65)}`, "locals/a b", "0"]) {
      expect(() => checkLocalRev(bad)).toThrow(PvrError);
    }
    expect([checkRev("0"), checkRev("12"), checkRev("current")]).toEqual(["0", "12", "current"]);
    expect(() => checkRev("../x")).toThrow(PvrError);
  });

  test("socket probing takes the first socket in order", () => {
    const b = setup();
    const plain = join(sim.dir, "plain");
    writeFileSync(plain, "");
    expect(findPvCtrlSocket([join(sim.dir, "none"), plain, sim.socketPath])).toBe(sim.socketPath);
    expect(findPvCtrlSocket([plain])).toBeNull();
    expect(PVCTRL_SOCKET_CANDIDATES).toEqual(["/run/pantavisor/pv/pv-ctrl", "/pv/pv-ctrl", "/pantavisor/pv-ctrl"]);
    expect(b.kind).toBe("pantavisor");
  });

  test("object uploads: 507 is diskFull, and a 200 over a partial write is caught", async () => {
    const b = setup({ diskFull: true });
    const file = join(sim.dir, "obj");
    writeFileSync(file, "0123456789");
    const sha = createHash("sha256").update("0123456789").digest("hex");
    const full = await b.uploadObject(sha, file).catch((e) => e);
    expect([full.status, full.code]).toEqual([507, "diskFull"]);
    sim.opts.uploadBug200 = true;
    expect((await b.uploadObject(sha, file).catch((e) => e)).code).toBe("integrity");
    expect((await b.uploadObject("ABC", file).catch((e) => e)).code).toBe("usage");
    expect((await b.command("LOCAL_RUN", 'locals/"x').catch((e) => e)).code).toBe("usage");
  });

  test("no answer at all is status 0 (unreachable)", async () => {
    const b = setup();
    sim.stop(false);
    const err = await b.currentRevision().catch((e) => e);
    expect([err instanceof PvCtrlError, err.status, err.unreachable]).toEqual([true, 0, true]);
  });
});
