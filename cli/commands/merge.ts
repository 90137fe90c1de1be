/** `pvr merge [REPO[#parts]]`: RFC 7386 deep merge of a source state (or some parts) into the committed state. */
import type { Command } from "../command";
import { JOBS_FLAG } from "../remote";
import { runGetOrMerge } from "./get";

export const command: Command = {
  name: "merge",
  usage: "merge [--as NAMES] [REPO[#PART,...,-PART]]",
  summary: "merge another repository (or #parts of it) into .pvr/json",
  description:
    "Like 'pvr get', but keys of the local state that the source lacks are kept, and inline JSON\n" +
    "documents are deep-merged (RFC 7386: a null member in the source deletes). '-part' removes a\n" +
    "part locally first. Only .pvr/json changes: run 'pvr checkout' afterwards.",
  flags: [
    { name: "as", type: "string", value: "NAMES", description: "store the #parts under these names, in order (renames: '#a,b --as c,d')" },
    JOBS_FLAG,
  ],
  examples: ["pvr merge 192.168.1.10#_config", "pvr merge ../other", "pvr merge /tmp/export.tgz#_config", "pvr merge"],
  run: (ctx, parsed) => runGetOrMerge(ctx, parsed, true),
};
