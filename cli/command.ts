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
  run(ctx: Context, parsed: Parsed): Promise<number | void> | number | void;
}
