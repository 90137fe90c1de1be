/** `pvr diff`: the RFC 7386 merge patch from the committed state to the working state. */
import { Repo } from "../../agent/repo/repo";
import { diffPatch } from "../../agent/repo/status";
import { scanWorking } from "../../agent/repo/working";
import { tabIndent } from "../../agent/state/indent";
import type { Command } from "../command";

export const command: Command = {
  name: "diff",
  usage: "diff",
  summary: "print the RFC 7386 merge patch from the committed to the working state",
  description: "Removed keys appear as null; changed inline JSON files appear as nested partial objects.",
  flags: [],
  run(ctx) {
    const repo = Repo.find(ctx.cwd);
    const pristine = repo.pristine();
    const { state } = scanWorking(repo, pristine, repo.staged());
    ctx.out(`${tabIndent(diffPatch(pristine, state))}\n`);
  },
};
