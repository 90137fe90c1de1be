/** `pvr put [TARGET]`: write the committed state and its objects to a repository directory. */
import { PvrError } from "../../agent/errors";
import { defaultPutRef, putLocal } from "../../agent/remote/put";
import { Repo } from "../../agent/repo/repo";
import type { Command } from "../command";

export const command: Command = {
  name: "put",
  usage: "put [--force] [TARGET]",
  summary: "put the committed state and its objects into a repository directory",
  description:
    "TARGET is a directory: it gets a canonical 'json' and 'objects/<sha>' for every object the\n" +
    "state references (copies are verified), ready for 'pvr get'/'pvr clone TARGET'. A missing or\n" +
    "empty directory is created; another checkout gets its .pvr/json replaced (not its files).\n" +
    "Without TARGET the last one used (DefaultPutUrl) is used. HTTP remotes are not supported yet.",
  flags: [{ name: "force", aliases: ["f"], type: "bool", description: "re-verify objects the target already has and replace bad ones" }],
  examples: ["pvr put /tmp/myrepo", "pvr put"],
  run(ctx, { flags, args }) {
    if (args.length > 1) throw PvrError.usage("Put can have at most 1 argument. See --help.");
    const repo = Repo.find(ctx.cwd);
    const lock = repo.lock("put");
    try {
      const [ref, cwd] = args[0] !== undefined ? [args[0], ctx.cwd] : [defaultPutRef(repo), repo.root];
      const r = putLocal(repo, ref, cwd, { force: Boolean(flags.force) });
      ctx.err(`Put ${r.copied} objects (${r.cached} already there) to ${r.layout.objectsDir} and the state to ${r.layout.jsonPath}\n`);
    } finally {
      lock.release();
    }
  },
};
