/** `pvr reset` / `pvr checkout`: write the committed state into the working tree. */
import { checkoutState } from "../../agent/repo/checkout";
import { Repo } from "../../agent/repo/repo";
import type { Command } from "../command";

export const command: Command = {
  name: "reset",
  usage: "reset [--hardlink] [--canonical]",
  summary: "write the committed state back into the working tree",
  description:
    "Every file of .pvr/json is restored (objects are verified against their sha256); staged\n" +
    "additions are dropped. Files that are not in the state are left alone.",
  flags: [
    { name: "hardlink", aliases: ["hl"], type: "bool", description: "hard-link objects from the store (read-only) instead of copying" },
    { name: "canonical", aliases: ["c"], type: "bool", env: "PVR_CANONICAL_JSON", description: "write inline JSON files in canonical form" },
  ],
  examples: ["pvr checkout", "pvr reset --hardlink"],
  run(ctx, { flags }) {
    const repo = Repo.find(ctx.cwd);
    const lock = repo.lock("reset");
    try {
      checkoutState(repo, repo.pristine(), { hardlink: Boolean(flags.hardlink), canonical: Boolean(flags.canonical) });
    } finally {
      lock.release();
    }
  },
};
