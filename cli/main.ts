#!/usr/bin/env -S bun --no-env-file
/**
 * Entry point of the single `pvr` executable: global flags, command dispatch, `--help` and
 * `--version`, and the one place where errors become stderr lines and exit codes.
 */
import { EXIT, PvrError } from "../agent/errors";
import { flagHelp, type FlagSpec, parseFlags } from "./args";
import { COMMANDS, findCommand } from "./commands/index";
import { makeContext } from "./context";
import { versionString } from "./version";

const GLOBAL_FLAGS: FlagSpec[] = [
  { name: "config-dir", aliases: ["c"], type: "string", env: "PVR_CONFIG_DIR", value: "DIR", description: "configuration and default object store directory (default: $HOME/.pvr)" },
  { name: "debug", aliases: ["d"], type: "bool", env: "PVR_DEBUG", description: "print stack traces and extra diagnostics" },
  { name: "access-token", aliases: ["a"], type: "string", env: "PVR_ACCESSTOKEN", value: "TOKEN", description: "static bearer token for remotes" },
  { name: "baseurl", aliases: ["b"], type: "string", env: "PVR_BASEURL", value: "URL", description: "Pantacor Hub API base (default: https://api.pantahub.com)" },
  { name: "repo-baseurl", aliases: ["r"], type: "string", env: "PVR_REPO_BASEURL", value: "URL", description: "base for scheme-less repository names (default: https://pvr.pantahub.com)" },
  { name: "http-proxy", type: "string", env: "PVR_HTTP_PROXY", value: "URL", description: "'system', 'no' or a proxy URL" },
  { name: "insecure", aliases: ["i"], type: "bool", env: "PVR_INSECURE", description: "skip TLS verification" },
  { name: "disable-self-upgrade", type: "bool", env: "PVR_DISABLE_SELF_UPGRADE", description: "accepted for compatibility; pvr never upgrades itself" },
  { name: "help", aliases: ["h"], type: "bool", description: "show help" },
  { name: "version", aliases: ["v"], type: "bool", description: "print the version" },
];

function mainHelp(): string {
  const w = Math.max(...COMMANDS.map((c) => [c.name, ...c.aliases].join(", ").length));
  const cmds = COMMANDS.map((c) => `   ${[c.name, ...c.aliases].join(", ").padEnd(w)}  ${c.summary}`).join("\n");
  return `pvr - the Pantavisor repository tool

USAGE:
   pvr [global options] command [command options] [arguments...]

COMMANDS:
${cmds}
   help, h  show help for a command

GLOBAL OPTIONS:
${flagHelp(GLOBAL_FLAGS)}

Run 'pvr COMMAND --help' for a command's flags and examples.
`;
}

export async function main(argv: string[]): Promise<number> {
  let debug = false;
  const write = (s: string) => process.stderr.write(s);
  try {
    const g = parseFlags(argv, GLOBAL_FLAGS, process.env, true);
    debug = Boolean(g.flags.debug);
    if (g.flags.version) {
      process.stdout.write(`${versionString()}\n`);
      return 0;
    }
    let [name, ...rest] = g.rest;
    if (name === "help" || name === "h") {
      if (rest[0]) [name, rest] = [rest[0], ["--help"]];
      else name = undefined;
    }
    if (!name || g.flags.help) {
      process.stdout.write(mainHelp());
      return 0;
    }
    const entry = findCommand(name);
    if (!entry) {
      write(`No help topic for '${name}'\n`);
      return 3;
    }
    const { command } = await entry.load();
    if (rest.includes("--help") || rest.includes("-h")) {
      const aliases = entry.aliases.length ? ` (aliases: ${entry.aliases.join(", ")})` : "";
      const parts = [`NAME:\n   pvr ${command.name}${aliases} - ${command.summary}`, `USAGE:\n   pvr ${command.usage}`];
      if (command.description) parts.push(`DESCRIPTION:\n   ${command.description.trim().split("\n").join("\n   ")}`);
      if (command.flags.length) parts.push(`OPTIONS:\n${flagHelp(command.flags)}`);
      if (command.examples?.length) parts.push(`EXAMPLES:\n${command.examples.map((e) => `   ${e}`).join("\n")}`);
      process.stdout.write(`${parts.join("\n\n")}\n`);
      return 0;
    }
    const str = (name: string) => (g.flags[name] as string | undefined) || undefined;
    const ctx = makeContext({
      configDir: str("config-dir"),
      debug,
      remote: { accessToken: str("access-token"), repoBaseUrl: str("repo-baseurl"), insecure: Boolean(g.flags.insecure), httpProxy: str("http-proxy") },
    });
    const parsed = command.raw ? { flags: {}, args: rest } : parseFlags(rest, command.flags, process.env);
    const code = await command.run(ctx, parsed);
    return typeof code === "number" ? code : 0;
  } catch (err) {
    if (err instanceof PvrError) {
      write(`ERROR: ${err.message}\n`);
      if (debug && err.stack) write(`${err.stack}\n`);
      return err.exitCode;
    }
    write(`ERROR: internal error: ${(err as Error)?.message ?? String(err)}\n`);
    if (debug || !(err instanceof Error)) write(`${(err as Error)?.stack ?? ""}\n`);
    return EXIT.internal;
  }
}

if (import.meta.main) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
