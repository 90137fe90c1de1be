/**
 * The command table, in the Go tool's registration order so that shared aliases resolve the
 * same way (`s` is status, `d` is diff, `i` is init). Modules load lazily: `pvr --version`
 * imports none of them.
 */
import type { Command } from "../command";

export interface CommandEntry {
  name: string;
  aliases: string[];
  summary: string;
  load: () => Promise<{ command: Command }>;
}

export const COMMANDS: CommandEntry[] = [
  { name: "init", aliases: ["i"], summary: "create an empty pvr repository here", load: () => import("./init") },
  { name: "add", aliases: ["a"], summary: "stage files (recursively for directories) for the next commit", load: () => import("./add") },
  { name: "json", aliases: ["j"], summary: "print the working state JSON", load: () => import("./json") },
  { name: "diff", aliases: ["d"], summary: "print the RFC 7386 merge patch from the committed to the working state", load: () => import("./diff") },
  { name: "status", aliases: ["s"], summary: "list added (A), removed (D), changed (C) and untracked (?) files", load: () => import("./status") },
  { name: "commit", aliases: ["ci"], summary: "record the working state in .pvr/json and store its objects", load: () => import("./commit") },
  { name: "reset", aliases: ["r", "checkout", "co"], summary: "write the committed state back into the working tree", load: () => import("./reset") },
];

export function findCommand(name: string): CommandEntry | undefined {
  return COMMANDS.find((c) => c.name === name || c.aliases.includes(name));
}
