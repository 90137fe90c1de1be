/** `pvr put [TARGET]`: write the committed state and its objects to a repository directory or an HTTP remote. */
import { PvrError } from "../../agent/errors";
import { putRemote } from "../../agent/remote/http/publish";
import { defaultPutRef, putLocal } from "../../agent/remote/put";
import { resolveAnyRef } from "../../agent/remote/ref";
import { Repo } from "../../agent/repo/repo";
import type { Command } from "../command";
import { JOBS_FLAG, jobsFrom, remoteKit } from "../remote";

export const command: Command = {
  name: "put",
  usage: "put [--force] [--jobs N] [TARGET]",
  summary: "put the committed state and its objects into a repository directory or a remote",
  description:
    "TARGET is a directory: it gets a canonical 'json' and 'objects/<sha>' for every object the\n" +
    "state references (copies are verified), ready for 'pvr get'/'pvr clone TARGET'. A missing or\n" +
    "empty directory is created; another checkout gets its .pvr/json replaced (not its files).\n" +
    "TARGET may also be a pvr remote (URL, device IP or HOST[:PORT]): the objects it lacks are\n" +
    "uploaded and its state is replaced with PUT (no revision is created: see 'pvr post').\n" +
    "Without TARGET the last one used (DefaultPutUrl) is used.",
  flags: [
    { name: "force", aliases: ["f"], type: "bool", description: "re-verify (local) or re-upload (remote) objects the target already has" },
    JOBS_FLAG,
  ],
  examples: ["pvr put /tmp/myrepo", "pvr put http://10.0.0.5:12368/cgi-bin/pvr", "pvr put"],
  async run(ctx, { flags, args }) {
    if (args.length > 1) throw PvrError.usage("Put can have at most 1 argument. See --help.");
    const jobs = jobsFrom(flags);
    const repo = Repo.find(ctx.cwd);
    const lock = repo.lock("put");
    const { http, progress } = remoteKit(ctx, "Uploading");
    try {
      const [ref, cwd] = args[0] !== undefined ? [args[0], ctx.cwd] : [defaultPutRef(repo), repo.root];
      const target = resolveAnyRef(ref, cwd, { mustExist: false, repoBaseUrl: ctx.remote.repoBaseUrl });
      if (target.kind === "http") {
        const r = await putRemote(repo, target, { http, jobs, events: progress, force: Boolean(flags.force), log: (l) => progress.line(l) });
        progress.finish();
        ctx.err(`Put ${r.uploaded} objects (${r.skipped + r.inBaseline} already there) and the state to ${r.remote.info.jsonGetUrl}\n`);
        return;
      }
      const r = putLocal(repo, ref, cwd, { force: Boolean(flags.force) });
      ctx.err(`Put ${r.copied} objects (${r.cached} already there) to ${r.layout.objectsDir} and the state to ${r.layout.jsonPath}\n`);
    } finally {
      progress.finish();
      lock.release();
    }
  },
};
