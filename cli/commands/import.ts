/** `pvr import FILE`: replace the committed state with a tarball's, after validating it fully. */
import { resolve } from "node:path";
import { PvrError } from "../../agent/errors";
import { readTarball } from "../../agent/remote/tarball";
import { Repo } from "../../agent/repo/repo";
import { objectIds } from "../../agent/state/model";
import type { Command } from "../command";

export const command: Command = {
  name: "import",
  usage: "import FILE",
  summary: "replace the committed state (.pvr/json) with the one in an export tarball",
  description:
    "Every member is checked before anything changes: only 'json' and objects/<sha256> are\n" +
    "accepted, objects must hash to their names, and the json must be a valid state whose\n" +
    "objects are in the tarball or already in the object store. Like the Go tool, the working\n" +
    "tree is not touched: run 'pvr checkout' afterwards. '-' reads the tarball from stdin.",
  flags: [],
  examples: ["pvr import device.tgz && pvr checkout"],
  async run(ctx, { args }) {
    if (args.length !== 1) throw PvrError.usage("import needs exactly one argument: the tarball to read ('-' for stdin). See --help.");
    const file = args[0] === "-" ? "-" : resolve(ctx.cwd, args[0] as string);
    const repo = Repo.find(ctx.cwd);
    const lock = repo.lock("import");
    try {
      const state = await readTarball(file, repo.objects, { warn: (m) => ctx.err(`WARNING: ${m}\n`) });
      repo.writePristine(state);
      ctx.err(`Imported a state with ${objectIds(state).length} objects into ${repo.objects.dir}.\n`);
      ctx.err("Run 'pvr checkout' to write it into the working tree.\n");
    } finally {
      lock.release();
    }
  },
};
