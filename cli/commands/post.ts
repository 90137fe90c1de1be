/**
 * `pvr post [URL|HOST|NICK/DEVICE]` (spec pvr-format 8.6, 16.2): upload the objects the remote
 * lacks, then post the committed state as a new revision. A bare IP or host works (Go bug 17.2
 * item 7); without an argument the remembered DefaultPostUrl, else DefaultGetUrl, is used.
 * `--wait` then follows the revision until the device reports a final status.
 */
import { PvrError } from "../../agent/errors";
import { followProgress, type Progress, progressUrlFor, SUCCESS_STATUSES } from "../../agent/remote/http/follow";
import { postedLine } from "../../agent/remote/http/post";
import { postRemote } from "../../agent/remote/http/publish";
import { resolveAnyRef, type RemoteRef } from "../../agent/remote/ref";
import { Repo } from "../../agent/repo/repo";
import { splitRef } from "../../agent/state/parts";
import type { Command } from "../command";
import type { Context } from "../context";
import { JOBS_FLAG, jobsFrom, remoteKit } from "../remote";

function target(ctx: Context, repo: Repo, arg: string | undefined): RemoteRef {
  const remembered = repo.config.DefaultPostUrl || splitRef(repo.config.DefaultGetUrl).base;
  const ref = arg ?? remembered;
  if (!ref) throw PvrError.usage("no remote given and none remembered (DefaultPostUrl and DefaultGetUrl in .pvr/config are empty); run 'pvr post URL|HOST' once");
  const r = resolveAnyRef(ref, arg === undefined ? repo.root : ctx.cwd, { repoBaseUrl: ctx.remote.repoBaseUrl });
  if (r.kind !== "http") throw PvrError.usage(`Post must be a remote REST endpoint, not: ${ref} (a local path; use 'pvr put' for directories)`);
  return r;
}

function statusText(revision: string, p: Progress): string {
  const pct = p.progress !== undefined ? ` (${p.progress}%)` : "";
  return `Revision ${revision}: ${p.status}${pct}${p.statusMsg ? ` ${p.statusMsg}` : ""}`;
}

export const command: Command = {
  name: "post",
  usage: "post [--envelope JSON] [--commit-msg MSG] [--rev REV] [--force] [--wait] [--json] [--jobs N] [URL|HOST|NICK/DEVICE]",
  summary: "post the committed state as a new revision to a device or remote",
  description:
    "Uploads the objects the remote does not have yet, then posts the committed state (.pvr/json).\n" +
    "HOST is a device address (IP, [IPv6] or a host name, optionally :PORT), meaning\n" +
    "http://HOST:12368/cgi-bin/pvr. Without an argument the remembered remote is used (the one\n" +
    "cloned from or last posted to). --rev takes a number (-1: the remote picks the next one) or a\n" +
    "name such as locals/my-rev. --wait follows the revision until it is DONE or UPDATED, and exits\n" +
    "non-zero on WONTGO or ERROR.",
  flags: [
    { name: "envelope", aliases: ["e"], type: "string", default: "{}", value: "JSON", description: "extra members of the posted JSON envelope" },
    { name: "commit-msg", aliases: ["m"], type: "string", value: "MSG", description: "the revision's commit message" },
    { name: "rev", type: "string", default: "-1", value: "REV", description: "revision number or name (locals/NAME); 0 omits it" },
    { name: "force", aliases: ["f"], type: "bool", description: "upload objects again when the remote answers that it has them (409); objects of its current state are still skipped" },
    { name: "wait", aliases: ["w"], type: "bool", description: "follow the revision's progress until a final status" },
    { name: "wait-timeout", type: "string", default: "900", value: "SECONDS", description: "give up waiting after this long (0: never)" },
    { name: "json", type: "bool", description: "print the result as JSON on stdout" },
    JOBS_FLAG,
  ],
  examples: ["pvr post 192.168.1.10", "pvr post -m 'new bsp' --rev locals/bsp-2 --wait", "pvr post http://[::1]:12368/cgi-bin/pvr", "pvr post --json nick/device"],
  async run(ctx, { flags, args }) {
    if (args.length > 1) throw PvrError.usage("Post can have at most 1 argument. See --help.");
    const jobs = jobsFrom(flags);
    const waitTimeout = Number(flags["wait-timeout"]);
    if (!Number.isFinite(waitTimeout) || waitTimeout < 0) throw PvrError.usage(`--wait-timeout must be a number of seconds, not ${flags["wait-timeout"]}`);
    const repo = Repo.find(ctx.cwd);
    const ref = target(ctx, repo, args[0]);
    const { http, progress } = remoteKit(ctx, "Uploading");
    const lock = repo.lock("post");
    let posted;
    try {
      posted = await postRemote(
        repo,
        ref,
        { envelope: flags.envelope as string, commitMsg: flags["commit-msg"] as string | undefined, rev: flags.rev as string },
        { http, jobs, events: progress, force: Boolean(flags.force), log: (l) => progress.line(l) },
      );
    } finally {
      progress.finish();
      lock.release();
    }
    const { post, upload } = posted;
    if (ctx.debug) ctx.err(`Posting JSON: ${posted.envelope}\n`);
    ctx.err(`${postedLine(post)}\n`);
    let final: Progress | undefined;
    if (flags.wait) {
      const url = post.progressUrl ?? progressUrlFor(posted.remote.info.postUrl, post.revision);
      final = await followProgress(http, url, {
        intervalMs: Number(ctx.env.PVR_WAIT_INTERVAL_MS) || 1000,
        timeoutMs: waitTimeout * 1000,
        onUpdate: (p) => ctx.err(`${statusText(post.revision, p)}\n`),
        onUnreachable: (why) => ctx.err(`Revision ${post.revision}: waiting for the device (${why.split("\n")[0]})\n`),
      });
    }
    if (flags.json) {
      const result = {
        url: ref.url,
        revision: post.revision,
        rev: post.rev,
        revlocal: post.revlocal,
        "state-sha": post.stateSha,
        "trail-id": post.trailId,
        "progress-url": post.progressUrl,
        objects: { uploaded: upload.uploaded, "on-remote": upload.skipped + upload.inBaseline },
        status: final ? { status: final.status, "status-msg": final.statusMsg, progress: final.progress } : undefined,
      };
      ctx.out(`${JSON.stringify(result, null, 2)}\n`);
    }
    if (final && !SUCCESS_STATUSES.includes(final.status)) {
      const logs = typeof final.raw.logs === "string" && final.raw.logs.trim() ? `\n${final.raw.logs.trim()}` : "";
      throw PvrError.failed(`revision ${post.revision} did not go through: ${final.status}${final.statusMsg ? ` (${final.statusMsg})` : ""}${logs}`);
    }
  },
};
