/** `pvr clone REPO[#parts] [DIR]`: init + get + checkout into a new directory. */
import { join, resolve } from "node:path";
import { PvrError } from "../../agent/errors";
import { cloneRepo } from "../../agent/remote/clone";
import { ensureGlobalConfig } from "../../agent/repo/init";
import { DEFAULT_SPEC } from "../../agent/state/model";
import type { Command } from "../command";
import { JOBS_FLAG, jobsFrom, remoteKit } from "../remote";

export const command: Command = {
  name: "clone",
  usage: "clone [--objects DIR] [--canonical] [--spec SPEC] [--jobs N] REPO[#PART,...] [DIR]",
  summary: "clone a repository (or #parts of it) into a new directory",
  description:
    "REPO is another checkout, a repository directory, an export tarball, a device (IP or\n" +
    "HOST[:PORT], meaning http://HOST:12368/cgi-bin/pvr), a pvr remote URL or NICK/DEVICE. DIR\n" +
    "defaults to the source's name (the host for a device). Without #parts the source's #spec is\n" +
    "used, with #parts the --spec one. Downloaded objects are verified before they are stored.\n" +
    "The clone is built in a temporary directory beside DIR and moved into place when complete.",
  flags: [
    { name: "objects", aliases: ["o"], type: "string", env: "PVR_OBJECTS_DIR", value: "DIR", description: "object store directory (default: <config-dir>/objects)" },
    { name: "canonical", aliases: ["c"], type: "bool", env: "PVR_CANONICAL_JSON", description: "write inline JSON files in canonical form" },
    { name: "spec", aliases: ["s"], type: "string", default: DEFAULT_SPEC, value: "SPEC", description: "the #spec of the new state when #parts are given" },
    JOBS_FLAG,
  ],
  examples: ["pvr clone 192.168.1.10 mydevice", "pvr clone http://[fd00::5]:12368/cgi-bin/pvr#bsp", "pvr clone ../device-repo", "pvr clone /tmp/export.tgz#bsp mybsp"],
  async run(ctx, { flags, args }) {
    if (args.length < 1) throw PvrError.usage("clone needs need repository argument. See --help");
    if (args.length > 2) throw PvrError.usage("clone takes a repository and an optional directory. See --help");
    const jobs = jobsFrom(flags);
    ensureGlobalConfig(ctx.configDir);
    const objectsDir = resolve(ctx.cwd, (flags.objects as string | undefined) || join(ctx.configDir, "objects"));
    const { http, progress } = remoteKit(ctx, "Downloading");
    try {
      const r = await cloneRepo({
        ref: args[0] as string,
        cwd: ctx.cwd,
        dir: args[1],
        objectsDir,
        spec: flags.spec as string,
        canonical: Boolean(flags.canonical),
        remote: { http, jobs, events: progress, repoBaseUrl: ctx.remote.repoBaseUrl },
      });
      progress.finish();
      ctx.out(`Successfully cloned: ${r.target}\n`);
    } finally {
      progress.finish();
    }
  },
};
