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
  { name: "sig", aliases: ["s"], summary: "sign the committed state (pvs@2 JWS) or verify its signatures", load: () => import("./sig") },
  { name: "put", aliases: ["p", "push"], summary: "put the committed state and its objects into a repository directory or a remote", load: () => import("./put") },
  { name: "post", aliases: ["po"], summary: "post the committed state as a new revision to a device or remote", load: () => import("./post") },
  { name: "get", aliases: ["g"], summary: "update .pvr/json from another repository (whole state or #parts)", load: () => import("./get") },
  { name: "inspect", aliases: ["i"], summary: "print the state of a repository, directory, export tarball or remote", load: () => import("./inspect") },
  { name: "deploy", aliases: ["d"], summary: "build a device trail directory (hard links into the object store) from sources", load: () => import("./deploy") },
  { name: "merge", aliases: ["m"], summary: "merge another repository (or #parts of it) into .pvr/json", load: () => import("./merge") },
  { name: "reset", aliases: ["r", "checkout", "co"], summary: "write the committed state back into the working tree", load: () => import("./reset") },
  { name: "clone", aliases: ["c"], summary: "clone a repository (or #parts of it) into a new directory", load: () => import("./clone") },
  { name: "export", aliases: ["g"], summary: "export the committed state and its objects as a tarball", load: () => import("./export") },
  { name: "import", aliases: ["i"], summary: "replace the committed state with the one in an export tarball", load: () => import("./import") },
  { name: "device", aliases: ["dev"], summary: "read and change a device's user-meta or device-meta", load: () => import("./device") },
  { name: "dm-apply", aliases: ["dma"], summary: "regenerate the dm-verity hash trees of every _dm manifest", load: () => import("./dm-apply") },
  { name: "dm-convert", aliases: ["dmc"], summary: "protect a container volume with dm-verity (hash tree, manifest, dm: reference)", load: () => import("./dm-convert") },
  { name: "agent", aliases: [], summary: "serve this device (or host) as a pvr remote on port 12368: clone, post, objects, meta", load: () => import("./agent") },
];

export function findCommand(name: string): CommandEntry | undefined {
  return COMMANDS.find((c) => c.name === name || c.aliases.includes(name));
}
