/**
 * `pvr inspect [REPO[#parts]]`: print a source's state (default: this checkout's .pvr). Unlike
 * the Go tool, #parts are honoured: only the selected keys (and #spec) are printed.
 */
import { PvrError } from "../../agent/errors";
import { resolveRef } from "../../agent/remote/ref";
import { openSource } from "../../agent/remote/source";
import { Repo } from "../../agent/repo/repo";
import { canonicalize } from "../../agent/state/canonical";
import { tabIndent } from "../../agent/state/indent";
import { parseFragment, selectParts } from "../../agent/state/parts";
import { SPEC_KEY } from "../../agent/state/model";
import type { Command } from "../command";

export const command: Command = {
  name: "inspect",
  usage: "inspect [--canonical] [REPO[#PART,...]]",
  summary: "print the state of a repository, directory or export tarball",
  description: "Without REPO this checkout's committed state (.pvr/json) is printed.",
  flags: [{ name: "canonical", aliases: ["c"], type: "bool", description: "print canonical JSON (no whitespace)" }],
  examples: ["pvr inspect", "pvr inspect /tmp/export.tgz#bsp", "pvr inspect -c ../other"],
  async run(ctx, { flags, args }) {
    if (args.length > 1) throw PvrError.usage("Inspect can have at most 1 argument. See --help.");
    const resolved = resolveRef(args[0] ?? Repo.find(ctx.cwd).pvrDir, ctx.cwd);
    const parts = parseFragment(resolved.fragment);
    const source = await openSource(resolved.path);
    try {
      const state = selectParts(source.state, parts);
      if (source.state[SPEC_KEY] !== undefined) state[SPEC_KEY] = source.state[SPEC_KEY];
      ctx.out(`${flags.canonical ? canonicalize(state) : tabIndent(state)}\n`);
    } finally {
      source.close();
    }
  },
};
