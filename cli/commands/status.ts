/** `pvr status`: what a commit would record, plus untracked files. */
import { Repo } from "../../agent/repo/repo";
import { type Changes, computeChanges, statusLines } from "../../agent/repo/status";
import { provablyClean, scanWorking } from "../../agent/repo/working";
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
    const cleanUntracked = provablyClean(repo);
    let changes: Changes = { added: [], removed: [], changed: [] };
    let untracked = cleanUntracked ?? [];
    if (cleanUntracked === null) {
      const pristine = repo.pristine();
      const scan = scanWorking(repo, pristine, repo.staged());
      changes = computeChanges(pristine, scan.state);
      untracked = scan.untracked;
    }
    if (flags.json) {
      ctx.out(`${JSON.stringify({ ...changes, untracked })}\n`);
      return;
    }
    const lines = statusLines(changes, untracked);
    if (lines.length) ctx.out(`${lines.map((l) => paint(ctx, COLORS[l[0] as string] ?? 0, l)).join("\n")}\n`);
  },
};
