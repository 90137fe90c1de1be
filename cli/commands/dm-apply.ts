/** `pvr dm-apply [PREFIX]` (alias dma): regenerate the dm-verity hash trees after data changed. */
import { Repo } from "../../agent/repo/repo";
import { dmApply } from "../../agent/trust/dm/apply";
import type { Command } from "../command";

export const command: Command = {
  name: "dm-apply",
  usage: "dm-apply [PREFIX]",
  summary: "regenerate the dm-verity hash trees of every _dm manifest",
  description:
    "For every CONTAINER/_dm/VOLUME.json of the working state whose key starts with PREFIX, rebuilds\n" +
    "the hash device from the data device with the recorded salt and uuid. Unchanged volumes are left\n" +
    "alone; changed ones get a new hash device and root hash, both staged. Commit afterwards.",
  flags: [],
  examples: ["pvr dm-apply", "pvr dma pvr-sdk/"],
  async run(ctx, { args }) {
    const repo = Repo.find(ctx.cwd);
    const lock = repo.lock("dm-apply");
    try {
      await dmApply(repo, args[0] ?? "", { out: ctx.out, err: ctx.err });
    } finally {
      lock.release();
    }
  },
};
