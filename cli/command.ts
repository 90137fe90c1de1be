/** The shape of one CLI command module (cli/commands/<name>.ts). */
import type { FlagSpec, Parsed } from "./args";
import type { Context } from "./context";

export interface Command {
  name: string;
  usage: string;
  summary: string;
  description?: string;
  flags: FlagSpec[];
  examples?: string[];
  /** the command parses its own arguments (subcommands with their own flags, like `sig`) */
  raw?: boolean;
  run(ctx: Context, parsed: Parsed): Promise<number | void> | number | void;
}
