/** `pvr get [REPO[#parts]]`: replace the committed state (or some parts of it) with a source's. */
import { defaultGetRef, getRepo } from "../../agent/remote/get";
import { PvrError } from "../../agent/errors";
import { Repo } from "../../agent/repo/repo";
import type { Parsed } from "../args";
import type { Command } from "../command";
import type { Context } from "../context";
import { JOBS_FLAG, jobsFrom, remoteKit } from "../remote";

export const command: Command = {
  name: "get",
  usage: "get [--as NAMES] [REPO[#PART,...,-PART]]",
  summary: "update .pvr/json from another repository (whole state or #parts)",
  description:
    "REPO is another checkout, a repository directory (json + objects/, as 'pvr put' writes), an\n" +
    "export tarball, a device (IP or HOST[:PORT], meaning http://HOST:12368/cgi-bin/pvr), a pvr remote\n" +
    "URL or NICK/DEVICE (under --repo-baseurl). '#bsp,app' replaces just those parts (a part is a key or a directory of keys);\n" +
    "'-part' removes one. Objects are copied into the store and verified. Only .pvr/json changes:\n" +
    "run 'pvr checkout' to update the files. Without REPO the last one used (DefaultGetUrl) is used.",
  flags: [
    { name: "as", type: "string", value: "NAMES", description: "store the #parts under these names, in order (renames: '#a,b --as c,d')" },
    JOBS_FLAG,
  ],
  examples: ["pvr get 192.168.1.10#bsp", "pvr get ../other", "pvr get /tmp/export.tgz#bsp", "pvr get ../sdk#pvr-sdk --as pvr-sdk-new", "pvr get"],
  run: (ctx, parsed) => runGetOrMerge(ctx, parsed, false),
};

/** The body of `get` and `merge` (the only difference is replace vs deep-merge). */
export async function runGetOrMerge(ctx: Context, { flags, args }: Parsed, merge: boolean): Promise<void> {
  const name = merge ? "merge" : "get";
  if (args.length > 1) throw PvrError.usage(`${merge ? "Merge" : "Get"} can have at most 1 argument. See --help.`);
  const jobs = jobsFrom(flags);
  const repo = Repo.find(ctx.cwd);
  const { http, progress } = remoteKit(ctx, "Downloading");
  const lock = repo.lock(name);
  try {
    // a remembered ref is absolute, or (written by the Go tool) relative to the checkout root
    const [ref, cwd] = args[0] !== undefined ? [args[0], ctx.cwd] : [defaultGetRef(repo, name), repo.root];
    const r = await getRepo(repo, ref, cwd, {
      merge,
      renameTo: flags.as as string | undefined,
      log: (l) => progress.line(l),
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
}
