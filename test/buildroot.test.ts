/**
 * The Buildroot external tree (yocto-layer/buildroot-external/) against the release build: its
 * Config.in loaded by kconfiglib (test/packaging/kconfig_check.py) for several toolchains, and
 * package/pvr/pvr.mk run by GNU make under stand-ins for Buildroot's helpers
 * (test/packaging/buildroot-stub.mk): download from dist/, pvr.hash check, install, strip pass.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BR_EXTERNAL, BR_HASH, buildrootHash } from "../cross/packaging-sums";
import { release } from "../cross/release";
import { DIST, packageVersion } from "../cross/targets";
import { ok, run, scratch, cleanScratch, MACHINES } from "./emulation";
import { PYTHON as PY, ROOT } from "./helpers";

const TOOLS = join(ROOT, "test/packaging");
const VERSION = packageVersion();
const KCONFIGLIB = run(PY, ["-c", "import kconfiglib"]).code === 0;
let sums = new Map<string, string>();
let commit = "";

beforeAll(async () => {
  ({ sums, commit } = await release());
}, 300_000);
afterAll(cleanScratch);

test("external.desc, external.mk and Config.in wire in package/pvr", () => {
  expect(readFileSync(join(BR_EXTERNAL, "external.desc"), "utf8")).toMatch(/^name: PVR\ndesc: .+\n$/);
  expect(readFileSync(join(BR_EXTERNAL, "external.mk"), "utf8")).toContain("$(BR2_EXTERNAL_PVR_PATH)/package/*/*.mk");
  const sourced = /source "\$BR2_EXTERNAL_PVR_PATH\/(.+)"/.exec(readFileSync(join(BR_EXTERNAL, "Config.in"), "utf8"))?.[1];
  expect(existsSync(join(BR_EXTERNAL, sourced as string))).toBe(true);
  expect(readdirSync(join(BR_EXTERNAL, "package"))).toEqual(["pvr"]);
});

test("pvr.hash is generated from dist/SHA256SUMS", () => {
  expect(readFileSync(BR_HASH, "utf8")).toBe(buildrootHash(sums, VERSION, commit));
});

test.skipIf(!KCONFIGLIB)(`Config.in: selectable on x86_64/aarch64 with glibc or musl+C++, refused with a comment otherwise${KCONFIGLIB ? "" : " (skipped: apt-get install python3-kconfiglib)"}`, () => {
  const scenarios = ["BR2_aarch64,BR2_TOOLCHAIN_USES_GLIBC,BR2_INIT_SYSTEMD", "BR2_x86_64,BR2_TOOLCHAIN_USES_MUSL,BR2_INSTALL_LIBSTDCPP", "BR2_arm,BR2_TOOLCHAIN_USES_GLIBC", "BR2_x86_64,BR2_TOOLCHAIN_USES_MUSL", "BR2_aarch64,BR2_TOOLCHAIN_USES_GLIBC,BR2_STATIC_LIBS"];
  const r = JSON.parse(ok(PY, [join(TOOLS, "kconfig_check.py"), BR_EXTERNAL, ...scenarios]).stdout) as { selectable: boolean; comments: string[]; service: string; warnings: string[] }[];
  expect(r.map((x) => x.selectable)).toEqual([true, true, false, false, false]);
  expect(r.map((x) => x.warnings)).toEqual([[], [], [], [], []]);
  expect(r[0]?.service).toBe("y");
  expect(r[2]?.comments).toEqual(["pvr needs an x86_64 or aarch64 target: Bun has no 32-bit ARM build"]);
  expect(r[3]?.comments[0]).toContain("musl one with C++");
});

for (const [arch, libc, asset] of MACHINES) {
  test(`pvr.mk for ${arch}/${libc}: downloads ${asset} from dist/, checks pvr.hash, installs it, keeps strip away`, () => {
    const work = scratch("pvr-br-");
    const config = [`BR2_EXTERNAL_PVR_PATH=${BR_EXTERNAL}`, `BR2_${arch}=y`, `BR2_TOOLCHAIN_USES_${libc.toUpperCase()}=y`, "BR2_PACKAGE_PVR=y", 'BR2_PACKAGE_PVR_SITE=""', "BR2_INIT_SYSTEMD=y", "BR2_PACKAGE_PVR_AGENT_SERVICE=y", 'BR2_STRIP_EXCLUDE_FILES="other.so"'];
    writeFileSync(join(work, ".config"), `${config.join("\n")}\n`);
    const make = (goal: string) => ok("make", ["-s", "-f", join(TOOLS, "buildroot-stub.mk"), `CONFIG=${join(work, ".config")}`, `WORK=${work}`, goal]).stdout;
    const vars = Object.fromEntries(make("print").trim().split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
    expect(vars.PVR_VERSION).toBe(VERSION);
    expect(vars.PVR_SOURCE).toBe(asset);
    expect(realpathSync(vars.PVR_SITE as string)).toBe(DIST);
    expect(vars.STRIP_EXCLUDE?.split(" ")).toEqual(["other.so", "pvr"]);
    const installed = make("install");
    expect(installed).not.toContain("usr/bin/pvr");
    expect(readFileSync(join(work, "target/usr/bin/pvr")).equals(readFileSync(join(DIST, asset)))).toBe(true);
    expect(existsSync(join(work, "target/usr/lib/systemd/system/pvr-agent.service"))).toBe(true);
  });
}
