/** `pvr dm-convert CONTAINER VOLUME` or `CONTAINER/VOLUME` (alias dmc): protect a volume with dm-verity. */
import { PvrError } from "../../agent/errors";
import { Repo } from "../../agent/repo/repo";
import { dmConvert } from "../../agent/trust/dm/convert";
import type { Command } from "../command";

export const command: Command = {
  name: "dm-convert",
  usage: "dm-convert CONTAINER VOLUME | CONTAINER/VOLUME",
  summary: "protect a container volume with dm-verity (hash tree, manifest, dm: reference)",
  description:
    "Computes CONTAINER/VOLUME.hash exactly as 'veritysetup format' would (no veritysetup needed),\n" +
    "writes CONTAINER/_dm/VOLUME.json {data_device, hash_device, root_hash, salt, type, uuid},\n" +
    "stages both, and points CONTAINER/run.json at \"dm:VOLUME\". Commit afterwards.",
  flags: [],
  examples: ["pvr dm-convert pvr-sdk root.squashfs && pvr commit", "pvr dmc app/root.squashfs"],
  async run(ctx, { args }) {
    let [container, volume] = args;
    if (args.length === 1 && container?.includes("/")) {
      const at = container.lastIndexOf("/");
      [container, volume] = [container.slice(0, at), container.slice(at + 1)];
    }
    if (args.length > 2 || !container || !volume) throw PvrError.usage("give CONTAINER VOLUME or CONTAINER/VOLUME; see --help");
    const repo = Repo.find(ctx.cwd);
    const lock = repo.lock("dm-convert");
    try {
      const r = await dmConvert(repo, container, volume, { out: ctx.out, err: ctx.err });
      if (ctx.debug) ctx.err(`root hash ${r.rootHash}, ${r.dataBlocks} data blocks, hash device ${r.hashSize} bytes\n`);
    } finally {
      lock.release();
    }
  },
};
