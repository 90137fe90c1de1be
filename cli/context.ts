/**
 * What every command receives: where it runs, the environment, the global options and the
 * terminal. Commands print through it, never through console.*, so tests and `--json` stay clean.
 */
import { homedir } from "node:os";
import { join, resolve } from "node:path";

export interface Context {
  cwd: string;
  env: Record<string, string | undefined>;
  configDir: string;
  debug: boolean;
  out: (text: string) => void;
  err: (text: string) => void;
  isTTY: boolean;
  color: boolean;
  /** stderr is a terminal: progress bars may be drawn there. */
  errTTY: boolean;
  /** Colour on stderr (a terminal, NO_COLOR unset, TERM not dumb). */
  errColor: boolean;
  /** Global remote settings: -a, --repo-baseurl, --insecure, --http-proxy. */
  remote: RemoteSettings;
}

export interface RemoteSettings {
  accessToken?: string;
  repoBaseUrl?: string;
  insecure?: boolean;
  httpProxy?: string;
}

export function defaultConfigDir(env: Record<string, string | undefined>): string {
  return join(env.HOME || homedir(), ".pvr");
}

/** Whether fd is a terminal, asked once and only when a command wants to know. */
function terminal(): (fd: 1 | 2) => boolean {
  const known: Record<number, boolean> = {};
  // node:tty's isatty, not process.stdout.isTTY: that builds the stream objects; either costs
  // 1-4 ms at start-up, which a command that prints nothing (a clean `status`) need not pay
  return (fd) => (known[fd] ??= (require("node:tty") as typeof import("node:tty")).isatty(fd));
}

export function makeContext(opts: { configDir?: string; debug?: boolean; remote?: RemoteSettings }): Context {
  const env = process.env;
  const isTerminal = terminal();
  const colorOk = !env.NO_COLOR && env.TERM !== "dumb";
  return {
    cwd: process.cwd(),
    env,
    configDir: resolve(opts.configDir ?? defaultConfigDir(env)),
    debug: Boolean(opts.debug),
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    get isTTY() {
      return isTerminal(1);
    },
    get color() {
      return isTerminal(1) && colorOk;
    },
    get errTTY() {
      return isTerminal(2);
    },
    get errColor() {
      return isTerminal(2) && colorOk;
    },
    remote: opts.remote ?? {},
  };
}

/** Wraps text in an ANSI colour when the context allows colour. */
export function paint(ctx: Context, code: number, text: string): string {
  return ctx.color ? `\x1b[${code}m${text}\x1b[0m` : text;
}
