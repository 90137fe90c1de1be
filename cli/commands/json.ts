/** `pvr json`: print the working state. */
import { Repo } from "../../agent/repo/repo";
import { scanWorking } from "../../agent/repo/working";
import { canonicalize } from "../../agent/state/canonical";
import { tabIndent } from "../../agent/state/indent";
import type { Command } from "../command";

export const command: Command = {
  name: "json",
  usage: "json [--canonical]",
  summary: "print the working state JSON",
  flags: [{ name: "canonical", aliases: ["c"], type: "bool", description: "print canonical JSON (no whitespace)" }],
  run(ctx, { flags }) {
    const repo = Repo.find(ctx.cwd);
    const { state } = scanWorking(repo, repo.pristine(), repo.staged());
    ctx.out(`${flags.canonical ? canonicalize(state) : tabIndent(state)}\n`);
  },
};
