/** `pvr init`: create `.pvr/` in the current directory. */
import { join, resolve } from "node:path";
import { ensureGlobalConfig, initRepo } from "../../agent/repo/init";
import type { Command } from "../command";

export const command: Command = {
  name: "init",
  usage: "init [--objects DIR] [--spec SPEC]",
  summary: "create an empty pvr repository here",
  description: "Objects go to the shared store <config-dir>/objects unless --objects names another directory.",
  flags: [
    { name: "objects", aliases: ["o", "objects-dir"], type: "string", env: "PVR_OBJECTS_DIR", value: "DIR", description: "object store directory (default: <config-dir>/objects)" },
    { name: "spec", aliases: ["s"], type: "string", default: "pantavisor-service-system@1", value: "SPEC", description: "the #spec of the new state" },
  ],
  examples: ["pvr init", "pvr init --objects /var/pvr/objects"],
  run(ctx, { flags }) {
    ensureGlobalConfig(ctx.configDir);
    const objectsDir = resolve(ctx.cwd, (flags.objects as string | undefined) || join(ctx.configDir, "objects"));
    initRepo({ dir: ctx.cwd, objectsDir, spec: flags.spec as string });
  },
};
