/**
 * The pure parts of the HTTP remote client: reference resolution (spec 6.1 examples plus the
 * fixed IPv6, host and --repo-baseurl cases), clone directory names, `--rev` parsing, the post
 * envelope and object upload bytes, post answer checks, and retry delays.
 */
import { describe, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { buildEnvelope, parsePostResponse, revValue } from "../agent/remote/http/post";
import { backoffDelay, parseRetryAfter } from "../agent/remote/http/retry";
import { objectJson } from "../agent/remote/http/upload";
import { cloneNameForUrl, joinUrlPath } from "../agent/remote/http/url";
import { resolveAnyRef } from "../agent/remote/ref";
import { JsonNumber, parseJson } from "../agent/state/json";
import type { Context } from "../cli/context";
import { formatBytes, formatDuration, TransferProgress } from "../cli/progress";
import { tmpdir } from "./helpers";

const cwd = tmpdir();
const url = (ref: string, repoBaseUrl?: string) => {
  const r = resolveAnyRef(ref, cwd, { repoBaseUrl });
  return r.kind === "http" ? r.remembered : `local:${r.path}`;
};

describe("reference resolution", () => {
  test("the Go tool's own examples (util_test.go)", () => {
    expect(url("192.168.1.3")).toBe("http://192.168.1.3:12368/cgi-bin/pvr");
    expect(url("192.168.1.3#hash,some")).toBe("http://192.168.1.3:12368/cgi-bin/pvr#hash,some");
    expect(url("asacasa/test1234")).toBe("https://pvr.pantahub.com/asacasa/test1234");
    expect(url("asacasa/test1234#something,fun")).toBe("https://pvr.pantahub.com/asacasa/test1234#something,fun");
  });

  test("IPv6 literals get brackets; ports and host names are devices too", () => {
    expect(url("::1")).toBe("http://[::1]:12368/cgi-bin/pvr");
    expect(url("fe80::1#bsp")).toBe("http://[fe80::1]:12368/cgi-bin/pvr#bsp");
    expect(url("[::1]")).toBe("http://[::1]:12368/cgi-bin/pvr");
    expect(url("[::1]:8080#_config/pvr-sdk")).toBe("http://[::1]:8080/cgi-bin/pvr#_config/pvr-sdk");
    expect(url("10.0.0.5:9000")).toBe("http://10.0.0.5:9000/cgi-bin/pvr");
    expect(url("localhost")).toBe("http://localhost:12368/cgi-bin/pvr");
    expect(url("device.local")).toBe("http://device.local:12368/cgi-bin/pvr");
    expect(url("device.local:1234")).toBe("http://device.local:1234/cgi-bin/pvr");
  });

  test("nick/device uses --repo-baseurl; URLs are kept; the fragment stays client-side", () => {
    expect(url("me/dev", "http://hub.example:8080/")).toBe("http://hub.example:8080/me/dev");
    expect(url("http://127.0.0.1:4000/cgi-bin/pvr#bsp,-app")).toBe("http://127.0.0.1:4000/cgi-bin/pvr#bsp,-app");
    const r = resolveAnyRef("https://h.example/trails/1#a/b", cwd);
    expect(r.kind === "http" && r.url).toBe("https://h.example/trails/1");
    expect(r.fragment).toBe("a/b");
    expect(joinUrlPath("http://h/cgi-bin/pvr/", ".pvrremote")).toBe("http://h/cgi-bin/pvr/.pvrremote");
  });

  test("an existing local path wins over a host name or nick/device, but never over an IP", () => {
    mkdirSync(join(cwd, "dev.local"), { recursive: true });
    mkdirSync(join(cwd, "me", "dev"), { recursive: true });
    mkdirSync(join(cwd, "10.0.0.9"), { recursive: true });
    expect(url("dev.local")).toBe(`local:${join(cwd, "dev.local")}`);
    expect(url("me/dev")).toBe(`local:${join(cwd, "me", "dev")}`);
    expect(url("10.0.0.9")).toBe("http://10.0.0.9:12368/cgi-bin/pvr");
    expect(() => resolveAnyRef("plainword", cwd)).toThrow("no such file or directory");
    expect(() => resolveAnyRef("ftp://x/y", cwd)).toThrow("unsupported URL scheme");
  });

  test("clone names a device directory after its host", () => {
    expect(cloneNameForUrl("http://192.168.1.3:12368/cgi-bin/pvr")).toBe("192.168.1.3");
    expect(cloneNameForUrl("http://[::1]:12368/cgi-bin/pvr/")).toBe("::1");
    expect(cloneNameForUrl("https://pvr.pantahub.com/nick/dev")).toBe("dev");
  });

  test("a URL cannot make clone write outside the current directory", () => {
    expect(() => cloneNameForUrl("http://h/a/..%2F..%2Fpwned")).toThrow("safe directory name");
    expect(cloneNameForUrl("http://h/a/%2E%2E")).toBe("h"); // the URL parser resolves the dot segments
    expect(cloneNameForUrl("http://h/a/odd%zz")).toBe("odd%zz");
  });
});

describe("post envelope", () => {
  test("--rev: numbers as in Go's ParseInt(s, 0, 64), 0 omitted, names as strings", () => {
    expect(revValue("-1")).toEqual(new JsonNumber("-1"));
    expect(revValue("0x10")).toEqual(new JsonNumber("16"));
    expect(revValue("010")).toEqual(new JsonNumber("8"));
    expect(revValue("12")).toEqual(new JsonNumber("12"));
    expect(revValue("0")).toBeUndefined();
    expect(revValue("locals/x")).toBe("locals/x");
  });

  test("canonical bytes: envelope members, commit-msg, rev, state under json-key", () => {
    const state = parseJson('{"#spec":"pantavisor-service-system@1","b.json":{"n":1.50},"a":"' + "0".repeat(64) + '"}') as never;
    const env = buildEnvelope(state, "state", { envelope: '{"z":true,"commit-msg":"old"}', commitMsg: "my change", rev: "locals/x" });
    expect(env).toBe(`{"commit-msg":"my change","rev":"locals/x","state":{"#spec":"pantavisor-service-system@1","a":"${"0".repeat(64)}","b.json":{"n":1.5E0}},"z":true}`);
    expect(buildEnvelope(state, "post", { rev: "0" })).toStartWith('{"post":');
    expect(() => buildEnvelope(state, "post", { envelope: "[1]" })).toThrow("JSON object");
  });

  test("object upload body in Go struct order with the size as a string", () => {
    expect(objectJson("app/<x>.img", "ab".repeat(32), 4096)).toBe(
      `{"id":"","storage-id":"","owner":"","objectname":"app/\\u003cx\\u003e.img","sha256sum":"${"ab".repeat(32)}","size":"4096","mime-type":"application/octet-stream","signed-puturl":"","signed-geturl":"","now":"","expire-time":""}`,
    );
  });

  test("post answers: revlocal when rev is -1, clear errors instead of panics", () => {
    const ok = parsePostResponse(parseJson('{"rev":-1,"revlocal":"locals/x","state-sha":"4f1c0e2a99","trail-id":"local","progress-url":"/p"}'), "http://h/steps");
    expect(ok.revision).toBe("locals/x");
    expect(ok.progressUrl).toBe("http://h/p");
    expect(parsePostResponse(parseJson('{"rev":7,"state-sha":"ab","trail-id":5}'), "u").revision).toBe("7");
    expect(() => parsePostResponse(parseJson('{"rev":-1,"state-sha":"ab"}'), "u")).toThrow("revlocal");
    expect(() => parsePostResponse(parseJson('{"rev":"1","state-sha":"ab"}'), "u")).toThrow('"rev" number');
    expect(() => parsePostResponse(parseJson('{"rev":1}'), "u")).toThrow("state-sha");
  });
});

describe("retries", () => {
  test("backoff grows, is capped, and honours Retry-After up to the cap", () => {
    const p = { attempts: 5, baseMs: 100, maxMs: 1000 };
    expect(backoffDelay(p, 1)).toBeLessThanOrEqual(100);
    expect(backoffDelay(p, 3)).toBeGreaterThanOrEqual(200);
    expect(backoffDelay(p, 10)).toBe(1000);
    expect(backoffDelay(p, 1, 600)).toBe(600);
    expect(backoffDelay(p, 1, 60_000)).toBe(1000);
    expect(parseRetryAfter("2")).toBe(2000);
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});

describe("progress output", () => {
  const fakeCtx = (errTTY: boolean, errColor: boolean) => {
    let text = "";
    const ctx = { errTTY, errColor, err: (t: string) => void (text += t) } as unknown as Context;
    return { ctx, text: () => text };
  };
  const run = (p: TransferProgress) => {
    const item = { sha: "a".repeat(64), key: "bsp/kernel.img" };
    p.plan(1, 2048);
    p.start(item, 2048);
    p.bytes(item, 1024);
    p.done(item, "OK");
    p.finish();
  };

  test("a bar with bytes, rate and ETA only on a terminal; colour only when allowed", () => {
    const tty = fakeCtx(true, true);
    run(new TransferProgress(tty.ctx, "Downloading"));
    expect(tty.text()).toContain("Downloading 0/1 [");
    expect(tty.text()).toContain("ETA");
    expect(tty.text()).toContain("\x1b[32m[OK]\x1b[0m");
    const noColor = fakeCtx(true, false);
    run(new TransferProgress(noColor.ctx, "Downloading"));
    expect(noColor.text()).toContain("bsp/kernel.img [OK]\n");
    expect(noColor.text()).not.toContain("\x1b[32m");
    const pipe = fakeCtx(false, false);
    run(new TransferProgress(pipe.ctx, "Downloading"));
    expect(pipe.text()).toBe("bsp/kernel.img [OK]\n");
  });

  test("off a terminal, object lines go out in blocks, in order, all of them by finish(), and the rest after a pause", async () => {
    let writes = 0;
    let text = "";
    const ctx = { errTTY: false, errColor: false, err: (t: string) => void (writes++, (text += t)) } as unknown as Context;
    const p = new TransferProgress(ctx, "Downloading");
    const keys = Array.from({ length: 5000 }, (_, i) => `dir/file-${i}`);
    p.plan(keys.length, undefined);
    for (const key of keys) p.done({ sha: "b".repeat(64), key }, "OK");
    expect(writes).toBeGreaterThan(0); // full blocks are written as they fill
    expect(writes).toBeLessThan(20);
    p.finish();
    expect(text).toBe(keys.map((k) => `${k} [OK]\n`).join(""));
    p.done({ sha: "c".repeat(64), key: "late" }, "OK");
    await Bun.sleep(400);
    expect(text.endsWith("late [OK]\n")).toBe(true); // a slow transfer still shows its lines
    p.finish();
    // outside a transfer (a later request's retry or debug line) a line goes out at once, in order
    p.line("GET /progress: retrying");
    ctx.err("Revision 3: DONE\n");
    expect(text.endsWith("GET /progress: retrying\nRevision 3: DONE\n")).toBe(true);
  });

  test("units", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(3 * 1024 ** 3)).toBe("3.0 GiB");
    expect(formatDuration(65)).toBe("1:05");
    expect(formatDuration(3661)).toBe("1:01:01");
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe("--:--");
  });
});
