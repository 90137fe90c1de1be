/** `pvr status`: what a commit would record, plus untracked files. */
import { Repo } from "../../agent/repo/repo";
import { computeChanges, statusLines } from "../../agent/repo/status";
import { scanWorking } from "../../agent/repo/working";
import type { Command } from "../command";
import { paint } from "../context";

const COLORS: Record<string, number> = { A: 32, D: 31, C: 33, "?": 90 };

export const command: Command = {
  name: "status",
  usage: "status [--json]",
  summary: "list added (A), removed (D), changed (C) and untracked (?) files",
  flags: [{ name: "json", type: "bool", description: "print {added, removed, changed, untracked} as JSON" }],
  run(ctx, { flags }) {
    const repo = Repo.find(ctx.cwd);
    const pristine = repo.pristine();
    const { state, untracked } = scanWorking(repo, pristine, repo.staged());
    const changes = computeChanges(pristine, state);
    if (flags.json) {
      ctx.out(`${JSON.stringify({ ...changes, untracked })}\n`);
      return;
    }
    const lines = statusLines(changes, untracked);
    if (lines.length) ctx.out(`${lines.map((l) => paint(ctx, COLORS[l[0] as string] ?? 0, l)).join("\n")}\n`);
  },
};
