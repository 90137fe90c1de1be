/**
 * `pvr inspect [REPO[#parts]]`: print a source's state (default: this checkout's .pvr). Unlike
 * the Go tool, #parts are honoured: only the selected keys (and #spec) are printed. HTTP remotes
 * are read with R1 and R2 only; no object is downloaded.
 */
import { PvrError } from "../../agent/errors";
import { openHttpSource } from "../../agent/remote/http/source";
import { resolveAnyRef } from "../../agent/remote/ref";
import { openSource } from "../../agent/remote/source";
import { Repo } from "../../agent/repo/repo";
import { canonicalize } from "../../agent/state/canonical";
import { tabIndent } from "../../agent/state/indent";
import { parseFragment, selectParts } from "../../agent/state/parts";
import { SPEC_KEY } from "../../agent/state/model";
import type { Command } from "../command";
import { httpClient } from "../remote";

export const command: Command = {
  name: "inspect",
  usage: "inspect [--canonical] [REPO[#PART,...]]",
  summary: "print the state of a repository, directory, export tarball or remote",
  description: "Without REPO this checkout's committed state (.pvr/json) is printed. REPO may be a device\n(IP or HOST[:PORT]), a pvr remote URL or NICK/DEVICE too.",
  flags: [{ name: "canonical", aliases: ["c"], type: "bool", description: "print canonical JSON (no whitespace)" }],
  examples: ["pvr inspect", "pvr inspect 192.168.1.10#bsp", "pvr inspect /tmp/export.tgz#bsp", "pvr inspect -c ../other"],
  async run(ctx, { flags, args }) {
    if (args.length > 1) throw PvrError.usage("Inspect can have at most 1 argument. See --help.");
    const resolved = resolveAnyRef(args[0] ?? Repo.find(ctx.cwd).pvrDir, ctx.cwd, { repoBaseUrl: ctx.remote.repoBaseUrl });
    const parts = parseFragment(resolved.fragment);
    const source = resolved.kind === "http" ? await openHttpSource(resolved, httpClient(ctx)) : await openSource(resolved.path);
    try {
      const state = selectParts(source.state, parts);
      if (source.state[SPEC_KEY] !== undefined) state[SPEC_KEY] = source.state[SPEC_KEY];
      ctx.out(`${flags.canonical ? canonicalize(state) : tabIndent(state)}\n`);
    } finally {
      source.close();
    }
  },
};
