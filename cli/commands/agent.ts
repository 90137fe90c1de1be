/**
 * `pvr agent [flags]`: the device agent, serving the pvr remote protocol on /cgi-bin/pvr
 * (default port 12368) so `pvr clone <ip>` and `pvr post` work against this machine. Flags and
 * their help come from agent/config.ts; SIGTERM and SIGINT stop it gracefully.
 */
import { CONFIG_TABLE, resolveConfig } from "../../agent/config";
import { describeTrust } from "../../agent/trust/options";
import type { FlagSpec } from "../args";
import type { Command } from "../command";

const FLAGS: FlagSpec[] = CONFIG_TABLE.map((e) => ({
  name: e.flag,
  type: e.type,
  env: e.env,
  value: e.value,
  description: `${e.description} [default: ${e.default}]`,
}));
FLAGS.push({ name: "print-config", type: "bool", description: "print the resolved configuration as JSON and exit" });

export const command: Command = {
  name: "agent",
  usage: "agent [--listen HOST:PORT] [--storage DIR] [--backend pantavisor|standalone|auto] [flags]",
  summary: "serve this device (or host) as a pvr remote on port 12368: clone, post, objects, meta",
  description:
    "Serves http://HOST:PORT/cgi-bin/pvr, the endpoint 'pvr clone <ip>' and 'pvr post' talk to.\n" +
    "With Pantavisor (a pv-ctrl socket exists) posted revisions are installed and run through\n" +
    "pv-ctrl; elsewhere (standalone) the agent keeps trails under <storage>/trails itself and\n" +
    "starts with an empty factory revision 0. Every flag can also be set by its environment\n" +
    "variable. Access is open unless --token-file is given; then clients pass the token\n" +
    "with 'pvr -a TOKEN' (Authorization: Bearer). --read-only answers writes with 405.\n" +
    "--require-signatures, --trusted-keys, --cacerts or --verity verify make posts pass the\n" +
    "trust policy (else 422, nothing deployed); without them signature problems are reported only.",
  flags: FLAGS,
  examples: [
    "pvr agent                                   # 127.0.0.1:12368, storage ./.pvr-agent",
    "pvr agent --listen [::]:12368 --storage /var/lib/pvr-agent",
    "pvr clone 127.0.0.1 mydevice                # from another shell",
  ],
  async run(ctx, { flags }) {
    const raw: Record<string, string | boolean | undefined> = {};
    for (const e of CONFIG_TABLE) raw[e.key] = flags[e.flag] as string | boolean | undefined;
    const cfg = resolveConfig(raw, ctx.cwd, undefined, ctx.env, (m) => ctx.err(`${m}\n`));
    if (flags["print-config"]) {
      ctx.out(`${JSON.stringify({ ...cfg, token: cfg.token ? "(set)" : null, trust: describeTrust(cfg.trust) }, null, 2)}\n`);
      return 0;
    }
    const { startAgent } = await import("../../agent/service");
    const agent = await startAgent(cfg);
    await new Promise<void>((resolveDone) => {
      const onSignal = (sig: string) => {
        process.off("SIGTERM", term);
        process.off("SIGINT", int);
        agent.stop().then(resolveDone, (err) => {
          ctx.err(`ERROR: shutdown after ${sig}: ${(err as Error).message}\n`);
          resolveDone();
        });
      };
      const term = () => onSignal("SIGTERM");
      const int = () => onSignal("SIGINT");
      process.on("SIGTERM", term);
      process.on("SIGINT", int);
    });
    return 0;
  },
};
