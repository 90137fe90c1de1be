/** `pvr export [--parts p1,p2] FILE`: write the committed state and its objects as a tarball. */
import { resolve } from "node:path";
import { PvrError } from "../../agent/errors";
import { exportTarball } from "../../agent/remote/tarball";
import { Repo } from "../../agent/repo/repo";
import type { Command } from "../command";

export const command: Command = {
  name: "export",
  usage: "export [--parts P1,P2] FILE",
  summary: "export the committed state and its objects as a tar (or .tgz/.tar.gz) file",
  description:
    "The tarball holds 'json' (the canonical state) first, then objects/<sha256> for every object,\n" +
    "in plain USTAR format. A FILE ending in .gz or .tgz is gzip-compressed; '-' writes to stdout.\n" +
    "--parts keeps only the keys of the named parts (a part selects the key itself and key/...);\n" +
    "#spec is always kept. Objects are checked against their sha256 while they are written.",
  flags: [{ name: "parts", aliases: ["p"], type: "string", value: "P1,P2", description: "comma-separated parts to export (default: all)" }],
  examples: ["pvr export device.tgz", "pvr export --parts bsp,pvr-sdk bsp-and-sdk.tar", "pvr export - | ssh dev 'pvr import -'"],
  async run(ctx, { flags, args }) {
    if (args.length !== 1) throw PvrError.usage("export needs exactly one argument: the tarball to write ('-' for stdout). See --help.");
    const file = args[0] === "-" ? "-" : resolve(ctx.cwd, args[0] as string);
    const parts = typeof flags.parts === "string" ? flags.parts.split(",").filter((p) => p !== "") : [];
    const repo = Repo.find(ctx.cwd);
    await exportTarball(repo.pristine(), repo.objects, file, { parts });
  },
};
