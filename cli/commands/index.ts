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
  { name: "put", aliases: ["p", "push"], summary: "put the committed state and its objects into a repository directory", load: () => import("./put") },
  { name: "get", aliases: ["g"], summary: "update .pvr/json from another repository (whole state or #parts)", load: () => import("./get") },
  { name: "inspect", aliases: ["i"], summary: "print the state of a repository, directory or export tarball", load: () => import("./inspect") },
  { name: "deploy", aliases: ["d"], summary: "build a device trail directory (hard links into the object store) from sources", load: () => import("./deploy") },
  { name: "merge", aliases: ["m"], summary: "merge another repository (or #parts of it) into .pvr/json", load: () => import("./merge") },
  { name: "reset", aliases: ["r", "checkout", "co"], summary: "write the committed state back into the working tree", load: () => import("./reset") },
  { name: "clone", aliases: ["c"], summary: "clone a repository (or #parts of it) into a new directory", load: () => import("./clone") },
  { name: "export", aliases: ["g"], summary: "export the committed state and its objects as a tarball", load: () => import("./export") },
  { name: "import", aliases: ["i"], summary: "replace the committed state with the one in an export tarball", load: () => import("./import") },
];

export function findCommand(name: string): CommandEntry | undefined {
  return COMMANDS.find((c) => c.name === name || c.aliases.includes(name));
}
