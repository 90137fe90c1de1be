/** `pvr add`: stage files for the next commit. */
import { addFiles } from "../../agent/repo/add";
import { Repo } from "../../agent/repo/repo";
import type { Command } from "../command";

export const command: Command = {
  name: "add",
  usage: "add [--raw] [PATH|GLOB ...]",
  summary: "stage files (recursively for directories) for the next commit",
  description:
    "Without arguments (or with '.') every file of the checkout is staged. Paths are relative to the\ncurrent directory. A .json file is stored inline in the state unless --raw is given.",
  flags: [{ name: "raw", aliases: ["r"], type: "bool", env: "PVR_ADD_RAW", description: "store .json files as objects instead of inline JSON" }],
  examples: ["pvr add .", "pvr add bsp/ 'app/*.json'", "pvr add --raw app/config.json"],
  async run(ctx, { flags, args }) {
    const repo = Repo.find(ctx.cwd);
    const lock = repo.lock("add");
    try {
      await addFiles(repo, { cwd: ctx.cwd, patterns: args.length === 1 && args[0] === "." && ctx.cwd === repo.root ? [] : args, raw: Boolean(flags.raw) });
    } finally {
      lock.release();
    }
  },
};
