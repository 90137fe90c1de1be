/**
 * The Yocto layer (yocto-layer/) against the release build: recipes are evaluated for each
 * machine by test/packaging/bbeval.py (a BitBake variable expander: inline python, anonymous
 * python, include) and their do_install is run in a temp dir. Checksums, asset names and paths
 * must match dist/ and dist/SHA256SUMS, which release() writes first. The Buildroot tree is
 * tested in buildroot.test.ts.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BR_EXTERNAL, YOCTO_LAYER, YOCTO_SUMS, yoctoSums } from "../cross/packaging-sums";
import { AGENT_ARGS, AGENT_CONFIG } from "../cross/pv-app";
import { parseSums, release, sha256File } from "../cross/release";
import { DIST, packageVersion, TARGETS } from "../cross/targets";
import { ok, run, scratch, cleanScratch, MACHINES } from "./emulation";
import { PYTHON as PY, ROOT } from "./helpers";

const TOOLS = join(ROOT, "test/packaging");
const VERSION = packageVersion();
const BIN_RECIPE = join(YOCTO_LAYER, `recipes-pvr/pvr-bin/pvr-bin_${VERSION}.bb`);
const CONTAINER_DIR = join(YOCTO_LAYER, "dynamic-layers/meta-pantavisor/recipes-containers/pvr-agent");
const CONTAINER_RECIPE = join(CONTAINER_DIR, `pvr-agent_${VERSION}.bb`);
let sums = new Map<string, string>();
let commit = "";

beforeAll(async () => {
  ({ sums, commit } = await release());
}, 300_000);
afterAll(cleanScratch);

interface Evaluated {
  vars: Record<string, string>;
  flags: Record<string, string>;
  inherits: string[];
  includes: string[];
  tasks: string[];
  funcs: Record<string, string>;
  skipped: string | null;
}
function bbeval(recipe: string, vars: Record<string, string> = {}): Evaluated {
  const args = Object.entries({ PVR_LAYERDIR: YOCTO_LAYER, ...vars }).map(([k, v]) => `${k}=${v}`);
  return JSON.parse(ok(PY, [join(TOOLS, "bbeval.py"), recipe, ...args]).stdout);
}

test("dist/SHA256SUMS lists the four executables and matches them", async () => {
  const listed = parseSums(readFileSync(join(DIST, "SHA256SUMS"), "utf8"));
  expect([...listed.keys()]).toEqual(TARGETS.map((t) => t.name));
  for (const [name, sha] of listed) expect(await sha256File(join(DIST, name))).toBe(sha);
});

describe("Yocto layer", () => {
  test("conf/layer.conf: collection, priority, series, and BBFILES that find every recipe", () => {
    const conf = readFileSync(join(YOCTO_LAYER, "conf/layer.conf"), "utf8");
    for (const line of ['BBFILE_COLLECTIONS += "pvr"', 'BBFILE_PATTERN_pvr = "^${LAYERDIR}/"', 'LAYERDEPENDS_pvr = "core"', 'LAYERRECOMMENDS_pvr = "meta-pantavisor"', 'BBPATH .= ":${LAYERDIR}"']) expect(conf).toContain(line);
    expect(conf).toMatch(/^BBFILE_PRIORITY_pvr = "\d+"$/m);
    expect(/^LAYERSERIES_COMPAT_pvr = "(.*)"$/m.exec(conf)?.[1]?.split(" ")).toEqual(["kirkstone", "scarthgap"]);
    const globs = [...conf.matchAll(/^BBFILES(?:_DYNAMIC)? \+= "(.*)"$/gm)].flatMap((m) => (m[1] as string).split(" ")).map((g) => g.replace(/^meta-pantavisor:/, "").replace("${LAYERDIR}/", ""));
    const found = globs.flatMap((g) => [...new Bun.Glob(g).scanSync(YOCTO_LAYER)]).sort();
    const all = [...new Bun.Glob("**/*.{bb,bbappend}").scanSync(YOCTO_LAYER)].filter((p) => !p.startsWith("buildroot-external/")).sort();
    expect(found).toEqual(all);
    expect(all.map((p) => p.split("/").pop())).toEqual([`pvr-agent_${VERSION}.bb`, `pvr-bin_${VERSION}.bb`]);
  });

  test("pvr-bin-sums.inc is generated from dist/SHA256SUMS", () => {
    expect(readFileSync(YOCTO_SUMS, "utf8")).toBe(yoctoSums(sums, VERSION, commit));
    expect(bbeval(BIN_RECIPE, { TARGET_ARCH: "x86_64", TCLIBC: "glibc" }).includes).toEqual(["pvr-bin-sums.inc"]);
  });

  for (const [arch, libc, asset] of MACHINES) {
    test(`pvr-bin for ${arch}/${libc}: asset ${asset}, its sha256, do_install verifies and installs it unstripped`, () => {
      const work = scratch("pvr-yocto-");
      const src = join(work, "unpack");
      const dest = join(work, "image");
      const paths = { D: dest, UNPACKDIR: src, bindir: "/usr/bin", sysconfdir: "/etc", systemd_system_unitdir: "/usr/lib/systemd/system" };
      const e = bbeval(BIN_RECIPE, { TARGET_ARCH: arch, TCLIBC: libc, ...paths });
      expect(e.skipped).toBeNull();
      expect(e.vars.PVR_ASSET).toBe(asset);
      expect(e.vars.PVR_SHA256).toBe(sums.get(asset) as string);
      expect(e.flags[`SRC_URI[${asset}.sha256sum]`]).toBe(sums.get(asset) as string);
      const uris = (e.vars.SRC_URI as string).split(/\s+/).filter(Boolean).map((u) => u.split(";")[0] as string);
      expect(realpathSync((uris[0] as string).replace("file://", ""))).toBe(join(DIST, asset));
      for (const u of uris.slice(1)) expect(existsSync(join(YOCTO_LAYER, "recipes-pvr/pvr-bin/files", u.replace("file://", "")))).toBe(true);
      for (const k of ["INHIBIT_PACKAGE_STRIP", "INHIBIT_PACKAGE_DEBUG_SPLIT", "INHIBIT_SYSROOT_STRIP"]) expect(e.vars[k]).toBe("1");
      expect(e.vars["INSANE_SKIP:${PN}"]?.trim().split(/\s+/)).toEqual(["already-stripped", "ldflags", "file-rdeps"]);
      expect(e.inherits).toContain("systemd");
      expect(e.vars["SYSTEMD_SERVICE:${PN}-agent"]).toBe("pvr-agent.service");
      expect(e.vars["RDEPENDS:${PN}:append:libc-musl"]?.trim()).toBe("libstdc++ libgcc");

      mkdirSync(src, { recursive: true });
      cpSync(join(DIST, asset), join(src, e.vars.PVR_DOWNLOAD_NAME as string));
      for (const f of ["pvr-agent.service", "pvr-agent.env"]) cpSync(join(YOCTO_LAYER, "recipes-pvr/pvr-bin/files", f), join(src, f));
      ok("sh", ["-e", "-c", e.funcs.do_install as string]);
      expect(readFileSync(join(dest, "usr/bin/pvr")).equals(readFileSync(join(DIST, asset)))).toBe(true);
      expect(readFileSync(join(dest, "usr/lib/systemd/system/pvr-agent.service"), "utf8")).toBe(readFileSync(join(ROOT, "systemd/pvr-agent.service"), "utf8"));
      expect(existsSync(join(dest, "etc/default/pvr-agent"))).toBe(true);
      // a wrong download fails do_install before anything is installed
      writeFileSync(join(src, e.vars.PVR_DOWNLOAD_NAME as string), "not pvr");
      expect(run("sh", ["-e", "-c", e.funcs.do_install as string]).code).not.toBe(0);
    });
  }

  test("pvr-bin refuses 32-bit ARM and other libcs with a clear reason", () => {
    expect(bbeval(BIN_RECIPE, { TARGET_ARCH: "arm", TCLIBC: "musl" }).skipped).toMatch(/no 32-bit ARM.*TARGET_ARCH is arm/);
    expect(bbeval(BIN_RECIPE, { TARGET_ARCH: "aarch64", TCLIBC: "newlib" }).skipped).toMatch(/glibc or musl/);
  });

  test("without the generated checksums pvr-bin is skipped, naming the command that makes them", () => {
    const copy = join(scratch("pvr-yocto-nosums-"), `pvr-bin_${VERSION}.bb`);
    cpSync(BIN_RECIPE, copy);
    expect(bbeval(copy, { TARGET_ARCH: "aarch64", TCLIBC: "glibc" }).skipped).toContain("npm run build:all");
  });

  test("the pvr-agent container recipe follows meta-pantavisor's container pattern with the agent's args and config", () => {
    const e = bbeval(CONTAINER_RECIPE, { TARGET_ARCH: "aarch64", TCLIBC: "musl" });
    expect(e.inherits).toEqual(["image", "container-pvrexport"]);
    expect(e.vars.IMAGE_FSTYPES).toBe("pvrexportit");
    expect(e.vars.IMAGE_INSTALL?.split(" ")).toContain("pvr-bin");
    expect(e.vars.PVR_APP_ADD_GROUP).toBe(AGENT_ARGS.PV_GROUP);
    expect(e.tasks).toContain("addtask deploy after do_image_complete before do_build");
    for (const f of e.vars.SRC_URI?.trim().split(/\s+/) ?? []) expect(existsSync(join(CONTAINER_DIR, "files", f.replace("file://", "")))).toBe(true);
    expect(JSON.parse(readFileSync(join(CONTAINER_DIR, "files/pvr-agent.args.json"), "utf8"))).toEqual(AGENT_ARGS);
    expect(JSON.parse(readFileSync(join(CONTAINER_DIR, "files/pvr-agent.config.json"), "utf8"))).toEqual(AGENT_CONFIG);
  });

  test("the unit and environment file the packages install are copies of systemd/", () => {
    for (const dir of [join(YOCTO_LAYER, "recipes-pvr/pvr-bin/files"), join(BR_EXTERNAL, "package/pvr")]) {
      for (const f of ["pvr-agent.service", "pvr-agent.env"]) expect(readFileSync(join(dir, f), "utf8")).toBe(readFileSync(join(ROOT, "systemd", f), "utf8"));
    }
  });
});
