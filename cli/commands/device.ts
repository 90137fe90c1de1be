/**
 * `pvr device get|set|unset HOST [KEY[=VALUE]...]`: a device's user-meta (or, with
 * `--device-meta`, device-meta) through the agent's HTTP endpoint (agent/remote/http/meta.ts).
 * HOST is a device address (IP, [IPv6], host name, optionally :PORT) or a pvr remote URL.
 *
 * The Go tool's `device` is a Pantacor Hub command (ps, logs, scan, create, get/set on a Hub
 * device id or nick); those forms answer with a clear "not supported yet" error.
 */
import { PvrError } from "../../agent/errors";
import { checkHttpUrl, deviceUrl, isHttpUrl } from "../../agent/remote/http/url";
import { getMetaKey, listMeta, type MetaKind, metaText, setMetaKey, unsetMetaKey } from "../../agent/remote/http/meta";
import { goMarshalIndent } from "../../agent/state/indent";
import type { Command } from "../command";
import { httpClient } from "../remote";

const HUB_ONLY = ["ps", "logs", "log", "scan", "create", "cr"];

function notSupported(what: string): PvrError {
  return PvrError.usage(`${what} talks to Pantacor Hub, which is not supported yet; 'pvr device get|set|unset' work on a device address (IP, host name or http://HOST:12368/cgi-bin/pvr)`);
}

function baseUrl(sub: string, host: string | undefined): string {
  if (host === undefined) throw PvrError.usage(`pvr device ${sub} needs a device: pvr device ${sub} HOST ...`);
  if (isHttpUrl(host)) return checkHttpUrl(host).replace(/\/+$/, "");
  const url = deviceUrl(host);
  if (!url) throw notSupported(`'pvr device ${sub} ${host}' (a Hub device id or nick)`);
  return url;
}

export const command: Command = {
  name: "device",
  usage: "device get|set|unset [--device-meta] HOST [KEY[=VALUE]...]",
  summary: "read and change a device's user-meta (or device-meta)",
  description:
    "get HOST prints all keys as JSON; get HOST KEY prints one value; get HOST K1 K2 prints K=V lines.\n" +
    "set HOST KEY=VALUE... writes keys (values up to 4096 bytes); unset HOST KEY... deletes them.\n" +
    "HOST is a device address (IP, [IPv6] or host name, optionally :PORT) or a pvr remote URL.\n" +
    "Note: a device in remote mode replaces its user-meta with Pantacor Hub's within seconds.",
  flags: [{ name: "device-meta", type: "bool", description: "work on device-meta instead of user-meta" }],
  examples: ["pvr device get 192.168.1.10", "pvr device set 192.168.1.10 pvr-sdk.authorized_keys=\"$(cat ~/.ssh/id_ed25519.pub)\"", "pvr device unset 192.168.1.10 mykey", "pvr device get --device-meta 192.168.1.10 pantavisor.revision"],
  async run(ctx, { flags, args }) {
    const [sub, host, ...keys] = args;
    if (sub === undefined) throw PvrError.usage("pvr device needs a subcommand: get, set or unset. See --help.");
    if (HUB_ONLY.includes(sub)) throw notSupported(`'pvr device ${sub}'`);
    const kind: MetaKind = flags["device-meta"] ? "device-meta" : "user-meta";
    const http = httpClient(ctx);
    if (sub === "get") {
      const base = baseUrl(sub, host);
      if (keys.length === 0) return void ctx.out(`${goMarshalIndent(await listMeta(http, base, kind))}\n`);
      if (keys.length === 1) return void ctx.out(`${metaText(await getMetaKey(http, base, kind, keys[0] as string))}\n`);
      for (const k of keys) ctx.out(`${k}=${metaText(await getMetaKey(http, base, kind, k))}\n`);
      return;
    }
    if (sub === "set" || sub === "se") {
      const base = baseUrl("set", host);
      if (keys.length === 0) throw PvrError.usage("pvr device set HOST KEY=VALUE... needs at least one KEY=VALUE");
      const pairs = keys.map((kv) => {
        const i = kv.indexOf("=");
        if (i <= 0) throw PvrError.usage(`expected KEY=VALUE, not ${JSON.stringify(kv)}`);
        return [kv.slice(0, i), kv.slice(i + 1)] as const;
      });
      for (const [k, v] of pairs) {
        await setMetaKey(http, base, kind, k, v);
        ctx.err(`${kind} ${k} set on ${base}\n`);
      }
      return;
    }
    if (sub === "unset" || sub === "rm") {
      const base = baseUrl("unset", host);
      if (keys.length === 0) throw PvrError.usage("pvr device unset HOST KEY... needs at least one KEY");
      for (const k of keys) {
        await unsetMetaKey(http, base, kind, k);
        ctx.err(`${kind} ${k} removed from ${base}\n`);
      }
      return;
    }
    throw PvrError.usage(`unknown subcommand 'pvr device ${sub}'; use get, set or unset. See --help.`);
  },
};
