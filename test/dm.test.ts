/**
 * `pvr dm-convert` and `pvr dm-apply` end to end (spec pvr-format 14): the manifest's exact
 * canonical bytes, a hash device identical to `veritysetup format` with the manifest's salt and
 * uuid, run.json and src.json rewritten, both files staged and committed; dm-apply leaves
 * unchanged volumes alone yet processes every manifest (the Go tool stops at the first
 * unchanged one) and regenerates a changed one.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { newRepo, pvrOk, runPvr } from "./helpers";

const HAVE = Bun.spawnSync(["bash", "-c", "command -v veritysetup"]).exitCode === 0;
const block = (seed: number, n: number) => Buffer.alloc(4096 * n, seed);

function repoWithApps() {
  const src = ' {\n  "#spec": "service-manifest-src@1",\n  "template": "builtin-lxc-docker",\n  "args": {\n   "PV_GROUP": "app"\n  },\n  "docker_name": "x<y"\n }';
  const { dir } = newRepo({
    "app/root.squashfs": block(1, 5),
    "app/run.json": '{"name":"app","root-volume":"root.squashfs","volumes":[]}',
    "app/src.json": src,
    "web/root.squashfs": block(2, 3),
    "web/run.json": '{"name":"web","volumes":["root.squashfs","other.squashfs"]}',
  });
  pvrOk(dir, ["add", "."]);
  pvrOk(dir, ["commit"]);
  return dir;
}

const manifest = (dir: string, c: string) => JSON.parse(readFileSync(join(dir, c, "_dm", "root.squashfs.json"), "utf8"));

describe("dm-convert", () => {
  test("hash device, manifest, run.json, src.json; staged for commit", () => {
    const dir = repoWithApps();
    const r = pvrOk(dir, ["dm-convert", "app", "root.squashfs"]);
    expect(r.stdout).toBe("container=app volume=root.squashfs\n- Updated app/_dm/root.squashfs.json\n- Updated app/run.json\n");
    const m = manifest(dir, "app");
    const text = readFileSync(join(dir, "app", "_dm", "root.squashfs.json"), "utf8");
    expect(text).toBe(
      `{"data_device":"root.squashfs","hash_device":"root.squashfs.hash","root_hash":"${m.root_hash}","salt":"${m.salt}","type":"dm-verity","uuid":"${m.uuid}"}`,
    );
    expect(m.salt).toMatch(/^[0-9a-f]{64}$/);
    expect(readFileSync(join(dir, "app", "run.json"), "utf8")).toBe('{"name":"app","root-volume":"dm:root.squashfs","volumes":[]}');
    expect(readFileSync(join(dir, "app", "src.json"), "utf8")).toBe(
      ' {\n  "#spec": "service-manifest-src@1",\n  "template": "builtin-lxc-docker",\n  "args": {\n   "PV_GROUP": "app"\n  },\n  "dm_enabled": {\n   "root.squashfs": true\n  },\n  "docker_name": "x\\u003cy"\n }'.slice(1),
    );
    pvrOk(dir, ["commit"]);
    const state = JSON.parse(readFileSync(join(dir, ".pvr", "json"), "utf8"));
    expect(state["app/_dm/root.squashfs.json"]).toEqual(m);
    expect(state["app/root.squashfs.hash"]).toMatch(/^[0-9a-f]{64}$/);
    expect(state["app/run.json"]["root-volume"]).toBe("dm:root.squashfs");
  });

  test.skipIf(!HAVE)("the hash device is what veritysetup makes with the manifest's salt and uuid", () => {
    const dir = repoWithApps();
    pvrOk(dir, ["dmc", "web/root.squashfs"]);
    const m = manifest(dir, "web");
    const data = join(dir, "web", "root.squashfs");
    const ref = Bun.spawnSync(["veritysetup", "format", "--salt", m.salt, "--uuid", m.uuid, data, join(dir, "..", "ref.hash")], { stdout: "pipe" });
    expect(ref.stdout.toString()).toContain(m.root_hash);
    expect(readFileSync(join(dir, "web", "root.squashfs.hash")).equals(readFileSync(join(dir, "..", "ref.hash")))).toBe(true);
    expect(Bun.spawnSync(["veritysetup", "verify", data, `${data}.hash`, m.root_hash]).exitCode).toBe(0);
    expect(readFileSync(join(dir, "web", "run.json"), "utf8")).toBe('{"name":"web","volumes":["dm:root.squashfs","other.squashfs"]}');
  });

  test("a missing volume exits 3; a bad argument count is a usage error", () => {
    const dir = repoWithApps();
    const r = runPvr(dir, ["dm-convert", "app", "nope.squashfs"]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("ERROR: volume could not be found; see --help");
    expect(runPvr(dir, ["dm-convert"]).code).toBe(2);
  });
});

describe("dm-apply", () => {
  test("every manifest is processed; unchanged ones are left alone, changed ones regenerated", () => {
    const dir = repoWithApps();
    pvrOk(dir, ["dmc", "app", "root.squashfs"]);
    pvrOk(dir, ["dmc", "web", "root.squashfs"]);
    pvrOk(dir, ["commit"]);
    const before = { app: manifest(dir, "app"), web: manifest(dir, "web") };
    expect(pvrOk(dir, ["dm-apply"]).stdout).toBe("- Unchanged verity format app/_dm/root.squashfs.json\n- Unchanged verity format web/_dm/root.squashfs.json\n");

    writeFileSync(join(dir, "app", "root.squashfs"), block(9, 7));
    expect(pvrOk(dir, ["dma"]).stdout).toBe("- Updated app/_dm/root.squashfs.json\n- Unchanged verity format web/_dm/root.squashfs.json\n");
    const after = manifest(dir, "app");
    expect(after.root_hash).not.toBe(before.app.root_hash);
    expect([after.salt, after.uuid]).toEqual([before.app.salt, before.app.uuid]);
    expect(manifest(dir, "web")).toEqual(before.web);
    if (HAVE) {
      const data = join(dir, "app", "root.squashfs");
      expect(Bun.spawnSync(["veritysetup", "verify", data, `${data}.hash`, after.root_hash]).exitCode).toBe(0);
    }
    pvrOk(dir, ["commit"]);
    expect(pvrOk(dir, ["dma", "app/"]).stdout).toBe("- Unchanged verity format app/_dm/root.squashfs.json\n");
  });
});
