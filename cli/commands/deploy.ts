/** `pvr deploy DIR [SOURCE[#parts] ...]`: build a device trail directory from local sources. */
import { deploy, deployObjectsDir } from "../../agent/deploy/deploy";
import { PvrError } from "../../agent/errors";
import { resolve } from "node:path";
import type { Command } from "../command";

export const command: Command = {
  name: "deploy",
  usage: "deploy [--objects DIR] DIR [SOURCE[#parts] ...]",
  summary: "build a device trail directory (hard links into the object store) from sources",
  description:
    "Writes a Pantavisor trail layout into DIR: every object hard-linked from the object store\n" +
    "(read-only, 0444), inline JSON files in canonical form, .pvr/json and .pvr/config, and the\n" +
    ".pv/ boot links named by bsp/run.json (fit, linux, initrd, fdt). SOURCEs are checkouts,\n" +
    "repository directories or export tarballs, applied in order: a later source replaces the\n" +
    "parts it brings (or its #parts); '-part' removes one. Without SOURCE, the committed state of\n" +
    "the current checkout is deployed. DIR is built beside itself and swapped in atomically.",
  flags: [
    { name: "objects", aliases: ["o"], type: "string", value: "DIR", description: "object store to link from (default: DIR's own, else <config-dir>/objects)" },
    { name: "nomerge", aliases: ["n"], type: "bool", description: "accepted for compatibility; sources always replace whole parts" },
  ],
  examples: [
    "pvr deploy /storage/trails/0",
    "pvr deploy --objects /storage/objects /storage/trails/0 bsp.tgz os.tgz#os,_config/os",
  ],
  async run(ctx, { flags, args }) {
    const [dir, ...refs] = args;
    if (!dir) throw PvrError.usage("deploy needs the deployment directory. See --help.");
    const target = resolve(ctx.cwd, dir);
    const objectsDir = deployObjectsDir(target, ctx.configDir, typeof flags.objects === "string" ? resolve(ctx.cwd, flags.objects) : undefined);
    await deploy({
      dir: target,
      refs,
      cwd: ctx.cwd,
      objectsDir,
      log: (m) => ctx.out(`${m}\n`),
      warn: (m) => ctx.err(`WARNING: ${m}\n`),
    });
    ctx.out(`Deployment finished. Now available at: ${target}\n`);
  },
};
