/** `pvr commit`: record the working state. */
import { commit, DEFAULT_COMMIT_MESSAGE } from "../../agent/repo/commit";
import { Repo } from "../../agent/repo/repo";
import type { Command } from "../command";

export const command: Command = {
  name: "commit",
  usage: "commit [-m MESSAGE] [--checkpoint] [--compat-go]",
  summary: "record the working state in .pvr/json and store its objects",
  description:
    "Like 'git commit -a': changes and removals of tracked files are committed without 'add'.\n" +
    "Inline JSON is kept exactly (nulls, big integers). --compat-go reproduces the Go tool, which\n" +
    "drops nulls and rounds numbers to float64 in changed JSON files, for byte-identical states.",
  flags: [
    { name: "message", aliases: ["m"], type: "string", default: DEFAULT_COMMIT_MESSAGE, value: "MSG", description: "commit message" },
    { name: "checkpoint", aliases: ["c"], type: "bool", description: "write checkpoint.json and commit it as a checkpoint revision" },
    { name: "compat-go", type: "bool", env: "PVR_COMPAT_GO", description: "commit exactly as the Go pvr would (drops nulls, float64 numbers)" },
    { name: "verbose", type: "bool", description: "print each added, changed and removed path" },
    { name: "json", type: "bool", description: "print {added, removed, changed} as JSON on stdout" },
  ],
  examples: ["pvr commit -m 'new kernel'", "pvr commit --compat-go"],
  run(ctx, { flags }) {
    const repo = Repo.find(ctx.cwd);
    const lock = repo.lock("commit");
    try {
      const r = commit(repo, {
        message: flags.message as string,
        checkpoint: Boolean(flags.checkpoint),
        compatGo: Boolean(flags["compat-go"]),
        log: flags.verbose ? (l) => ctx.err(`${l}\n`) : undefined,
      });
      const { added, removed, changed } = r.changes;
      if (flags.json) ctx.out(`${JSON.stringify({ added, removed, changed })}\n`);
      else ctx.err(`Committed: ${added.length} added, ${changed.length} changed, ${removed.length} removed\n`);
    } finally {
      lock.release();
    }
  },
};
