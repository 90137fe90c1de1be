/** `pvr merge [REPO[#parts]]`: RFC 7386 deep merge of a source state (or some parts) into the committed state. */
import { defaultGetRef, getRepo } from "../../agent/remote/get";
import { PvrError } from "../../agent/errors";
import { Repo } from "../../agent/repo/repo";
import type { Command } from "../command";
import { JOBS_FLAG, jobsFrom, remoteKit } from "../remote";

export const command: Command = {
  name: "merge",
  usage: "merge [--as NAMES] [REPO[#PART,...,-PART]]",
  summary: "merge another repository (or #parts of it) into .pvr/json",
  description:
    "Like 'pvr get', but keys of the local state that the source lacks are kept, and inline JSON\n" +
    "documents are deep-merged (RFC 7386: a null member in the source deletes). '-part' removes a\n" +
    "part locally first. Only .pvr/json changes: run 'pvr checkout' afterwards.",
  flags: [
    { name: "as", type: "string", value: "NAMES", description: "store the #parts under these names, in order (renames: '#a,b --as c,d')" },
    JOBS_FLAG,
  ],
  examples: ["pvr merge 192.168.1.10#_config", "pvr merge ../other", "pvr merge /tmp/export.tgz#_config", "pvr merge"],
  async run(ctx, { flags, args }) {
    if (args.length > 1) throw PvrError.usage("Merge can have at most 1 argument. See --help.");
    const jobs = jobsFrom(flags);
    const repo = Repo.find(ctx.cwd);
    const { http, progress } = remoteKit(ctx, "Downloading");
    const lock = repo.lock("merge");
    try {
      // a remembered ref is absolute, or (written by the Go tool) relative to the checkout root
      const [ref, cwd] = args[0] !== undefined ? [args[0], ctx.cwd] : [defaultGetRef(repo, "merge"), repo.root];
      const r = await getRepo(repo, ref, cwd, {
        merge: true,
        renameTo: flags.as as string | undefined,
        log: (l) => ctx.err(`${l}\n`),
        http,
        jobs,
        events: progress,
        repoBaseUrl: ctx.remote.repoBaseUrl,
      });
      progress.finish();
      ctx.out(`\nImported ${r.copied} objects to ${repo.objects.dir}\n\n\nRun pvr checkout to checkout the changed files into the workspace.\n`);
    } finally {
      progress.finish();
      lock.release();
    }
  },
};
