/**
 * `pvr post` and `pvr device` against the protocol-faithful test server, with the real CLI as a
 * process: objects uploaded only when the remote lacks them (baseline, 409), the canonical
 * envelope bytes as the server received them, answer parsing, --rev/--envelope/--json, bare host
 * targets, --wait to a final status (and a failing one), and user-meta get/set/unset.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { canonicalize } from "../agent/state/canonical";
import { parseJson } from "../agent/state/json";
import { sha256, tmpdir, writeTree } from "./helpers";
import { pvrAsync, pvrAsyncOk } from "./support/cli";
import type { PvrSdkServer } from "./support/pvrsdk-server";
import { Servers } from "./support/remote-fixture";

const read = (...p: string[]) => readFileSync(join(...p), "utf8");
const servers = new Servers();
afterEach(() => servers.stopAll());

/** A server and a clone of it with two new committed files. */
async function edited(): Promise<{ s: PvrSdkServer; dir: string }> {
  const s = await servers.start();
  const base = tmpdir();
  await pvrAsyncOk(base, ["clone", "-o", join(base, "objs"), s.url, "dev"]);
  const dir = join(base, "dev");
  writeTree(dir, { "app/new.bin": "new object\n", "app/known.bin": "already there\n", "app/run.json": '{"name":"app","v":2}' });
  await pvrAsyncOk(dir, ["add", "."]);
  await pvrAsyncOk(dir, ["commit", "-m", "edit"]);
  return { s, dir };
}

const postedObjects = (s: PvrSdkServer) => s.seen.filter((x) => x.method === "POST" && x.path.endsWith("/objects/"));
const uploads = (s: PvrSdkServer) => s.seen.filter((x) => x.method === "PUT" && x.path.endsWith("/blob"));

describe("pvr post", () => {
  test("uploads only missing objects (409 skipped), posts canonical bytes, prints the revision", async () => {
    const { s, dir } = await edited();
    s.objects.set(sha256("already there\n"), Buffer.from("already there\n"));
    s.faults.fail.push({ method: "PUT", path: /\/blob$/, status: 503, times: 1 });
    const r = await pvrAsyncOk(dir, ["post", "-m", "my change"]);
    expect(postedObjects(s).map((x) => x.status).sort()).toEqual([200, 409]);
    const blob = `/cgi-bin/pvr/objects/${sha256("new object\n")}/blob`;
    expect(uploads(s).map((x) => `${x.status} ${x.path}`)).toEqual([`503 ${blob}`, `200 ${blob}`]);
    expect(uploads(s)[1]?.headers["content-length"]).toBe(String("new object\n".length));
    const pristine = read(dir, ".pvr/json");
    const [post] = s.posts;
    expect(post?.body.toString()).toBe(`{"commit-msg":"my change","rev":-1,"state":${pristine}}`);
    expect(post?.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(post?.headers["content-length"]).toBe(String(post?.body.length));
    expect(s.stateText).toBe(pristine);
    expect(r.stderr).toContain(`Successfully posted Revision locals/pvr-1 (${sha256(pristine).slice(0, 8)}) to device id local`);
    expect(r.stdout).toBe("");
  });

  test("--rev names, --envelope members, --json output, and a bare host:port target", async () => {
    const { s, dir } = await edited();
    const r = await pvrAsyncOk(dir, ["post", "--json", "--rev", "locals/x", "-e", '{"commit":true}', `127.0.0.1:${s.port}`]);
    const env = parseJson(s.posts[0]?.body.toString() as string) as Record<string, unknown>;
    expect(env.rev).toBe("locals/x");
    expect(env.commit).toBe(true);
    expect(env["commit-msg"]).toBeUndefined();
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ url: `http://127.0.0.1:${s.port}/cgi-bin/pvr`, revision: "locals/x", rev: -1, "trail-id": "local", objects: { uploaded: 2, "on-remote": 3 } });
    expect(out["state-sha"]).toBe(sha256(read(dir, ".pvr/json")));
    expect(JSON.parse(read(dir, ".pvr/config")).DefaultPostUrl).toBe(`http://127.0.0.1:${s.port}/cgi-bin/pvr`);
    await pvrAsyncOk(dir, ["post", "--rev", "0"]);
    expect(canonicalize(parseJson(s.posts[1]?.body.toString() as string))).not.toContain('"rev"');
    expect(uploads(s)).toHaveLength(2); // the second post finds both objects in the baseline
  });

  test("--wait follows progress to UPDATED; a failing revision exits non-zero", async () => {
    const { s, dir } = await edited();
    const r = await pvrAsyncOk(dir, ["post", "--wait"]);
    expect(r.stderr).toContain("Revision locals/pvr-1: INPROGRESS (50%) Transitioning to new revision without rebooting");
    expect(r.stderr).toContain("Revision locals/pvr-1: UPDATED (100%)");
    s.omitProgressUrl = true;
    s.progressScript = [{ status: "ERROR", "status-msg": "Status goal not reached", progress: 100, logs: "platform timed out\n" }];
    const bad = await pvrAsync(dir, ["post", "--wait", "--rev", "locals/bad"]);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain("revision locals/bad did not go through: ERROR (Status goal not reached)");
    expect(bad.stderr).toContain("platform timed out");
    expect(s.lines()).toContain("GET /cgi-bin/pvr/steps/locals/bad/progress");
  });

  test("refusals: a local path, #parts, a bad envelope; nothing is sent", async () => {
    const { s, dir } = await edited();
    const n = s.seen.length;
    expect((await pvrAsync(dir, ["post", dir])).stderr).toContain("Post must be a remote REST endpoint");
    expect((await pvrAsync(dir, ["post", `${s.url}#bsp`])).stderr).toContain("#parts are not supported");
    const bad = await pvrAsync(dir, ["post", "-e", "[1]"]);
    expect(bad.code).toBe(2);
    expect(s.seen.length).toBe(n);
  });
});

describe("pvr device", () => {
  test("get, set and unset user-meta and device-meta on a device", async () => {
    const s = await servers.start();
    const cwd = tmpdir();
    const host = `127.0.0.1:${s.port}`;
    await pvrAsyncOk(cwd, ["device", "set", host, "a=1", "pvr-sdk.authorized_keys=ssh-ed25519 AAA x=y"]);
    expect(Object.fromEntries(s.meta["user-meta"])).toEqual({ a: "1", "pvr-sdk.authorized_keys": "ssh-ed25519 AAA x=y" });
    expect(JSON.parse((await pvrAsyncOk(cwd, ["device", "get", host])).stdout)).toEqual({ a: "1", "pvr-sdk.authorized_keys": "ssh-ed25519 AAA x=y" });
    expect((await pvrAsyncOk(cwd, ["device", "get", host, "a"])).stdout).toBe("1\n");
    await pvrAsyncOk(cwd, ["device", "unset", s.url, "a"]);
    expect(s.lines()).toContain("DELETE /cgi-bin/pvr/user-meta/a");
    expect([...s.meta["user-meta"].keys()]).toEqual(["pvr-sdk.authorized_keys"]);
    const gone = await pvrAsync(cwd, ["device", "unset", host, "a"]);
    expect(gone.code).toBe(12);
    expect(gone.stderr).toContain('user-meta key "a" is not set');
    await pvrAsyncOk(cwd, ["device", "set", "--device-meta", host, "k=v"]);
    expect(s.meta["device-meta"].get("k")).toBe("v");
    const hub = await pvrAsync(cwd, ["device", "ps"]);
    expect(hub.code).toBe(2);
    expect(hub.stderr).toContain("not supported yet");
    expect((await pvrAsync(cwd, ["device", "get", "mynick"])).stderr).toContain("not supported yet");
  });
});
