/**
 * `pvr sig [sig flags] add|update|ls [flags] [args]` (spec pvr-format 12): pvs@2 signatures.
 * Flags of `sig` itself come before the subcommand, as in the Go tool; the subcommands' flags
 * follow it. Key material is resolved here (cli/commands/sig-keys.ts); the work happens in
 * agent/trust/pvs.
 */
import { Repo } from "../../agent/repo/repo";
import { checkAddRules, sigAdd, sigUpdate, updatePatterns } from "../../agent/trust/pvs/add";
import { sigLs } from "../../agent/trust/pvs/ls";
import { SigError } from "../../agent/trust/pvs/verdict";
import { type FlagSpec, flagHelp, parseFlags } from "../args";
import type { Command } from "../command";
import { signSetup, trustAnchors } from "./sig-keys";

const SIG_FLAGS: FlagSpec[] = [
  { name: "key", aliases: ["k"], type: "string", env: "PVR_SIG_KEY", value: "PEM", description: "private key to sign with (default: <config-dir>/pvs/key.default.pem)" },
  { name: "x5c", aliases: ["x"], type: "string", env: "PVR_X5C_PATH", value: "PEM", description: "certificate chain to embed, leaf first; 'no' for none (default: <config-dir>/pvs/x5c.default.pem)" },
  { name: "pubkey", aliases: ["p"], type: "strings", env: "PVR_SIG_PUBKEY", value: "PEM", description: "public keys to verify with (repeatable); --cacerts is then ignored" },
  { name: "cacerts", aliases: ["c"], type: "string", env: "PVR_SIG_CACERTS", value: "PEM", description: "trust anchors for x5c chains; '_system_' = the OS CA bundle (default: <config-dir>/pvs/cacerts.default.pem)" },
  { name: "certs-url", type: "string", env: "PVS_CERTS_URL", value: "URL", description: "where the developer keys are downloaded from when a default file is missing" },
  { name: "with-payload", type: "bool", env: "PVS_SIG_WITH_PAYLOAD", description: "keep the base64url payload in written signatures; show it in 'ls --with-sigs'" },
  { name: "output", type: "string", env: "PVS_SIG_OUTPUT", value: "FILE", description: "also write the signature to FILE (truncated) or '-' for stdout" },
];

const SUB_FLAGS: Record<string, FlagSpec[]> = {
  add: [
    { name: "part", aliases: ["p"], type: "string", env: "PVR_SIG_ADD_PART", value: "PART", description: "sign the part PART: PART/** and _config/PART/**, into _sigs/PART.json" },
    { name: "raw", aliases: ["r"], type: "string", value: "NAME", description: "sign the globs as given, into _sigs/NAME.json" },
    { name: "include", aliases: ["i"], type: "strings", value: "GLOB", description: "doublestar glob of keys to include (repeatable; default **)" },
    { name: "exclude", aliases: ["e"], type: "strings", value: "GLOB", description: "doublestar glob of keys to exclude (repeatable; default src.json)" },
    { name: "noconfig", aliases: ["n"], type: "bool", description: "part mode: do not include _config/PART/**" },
  ],
  update: [],
  ls: [
    { name: "part", aliases: ["p"], type: "string", env: "PVR_SIG_ADD_PART", value: "PART", description: "accepted for compatibility; unused" },
    { name: "with-sigs", aliases: ["s"], type: "bool", env: "PVR_SIG_LS_WITH_SIGS", description: "add the signatures to the summary" },
    { name: "skip-objects", type: "bool", env: "PVR_SIG_LS_SKIP_OBJECTS", description: "do not re-hash the covered objects in the store" },
  ],
};
const ALIASES: Record<string, string> = { a: "add", up: "update", l: "ls" };

export const command: Command = {
  name: "sig",
  usage: "sig [sig flags] add (--part P | --raw NAME) [--include G]... [--exclude G]... [--noconfig] | update [NAME|PATTERN.json ...] | ls [NAME|PATH.json ...] [--with-sigs]",
  summary: "sign the committed state (pvs@2 JWS) or verify its signatures",
  description:
    "add: sign the committed entries selected by the globs into _sigs/NAME.json (then commit it).\n" +
    "update (up): re-sign existing signatures with their own globs and the current key.\n" +
    "ls: verify signatures against the committed state and print what they protect. Exit codes:\n" +
    "13 invalid, 15 untrusted (key or chain), 16 tampered object, 17 stale or unverifiable, 18 uncovered entry.\n\n" +
    `add flags:\n${flagHelp(SUB_FLAGS.add as FlagSpec[])}\nls flags:\n${flagHelp(SUB_FLAGS.ls as FlagSpec[])}`,
  flags: SIG_FLAGS,
  raw: true,
  examples: [
    "pvr sig add --part pvr-sdk && pvr add _sigs/pvr-sdk.json && pvr commit",
    "pvr sig --key dev.pem --x5c no add --raw bsp --include 'bsp/**' --include '#spec'",
    "pvr sig --cacerts ca.pem ls",
    "pvr sig --pubkey pub.pem ls pvr-sdk --with-sigs",
  ],
  async run(ctx, { args }) {
    const top = parseFlags(args, SIG_FLAGS, ctx.env, true);
    const [given, ...rest] = top.rest;
    const sub = ALIASES[given ?? ""] ?? given;
    if (!sub || !SUB_FLAGS[sub]) throw new SigError(2, `${given ? `unknown sig subcommand '${given}'` : "missing sig subcommand"}; use add, update or ls`);
    const { flags, args: subArgs } = parseFlags(rest, SUB_FLAGS[sub] as FlagSpec[], ctx.env);
    const repo = Repo.find(ctx.cwd);
    if (sub === "ls") {
      const r = await sigLs(repo, {
        cwd: ctx.cwd,
        args: subArgs,
        trust: () => trustAnchors(ctx, top.flags),
        withSigs: Boolean(flags["with-sigs"]),
        withPayload: Boolean(top.flags["with-payload"]),
        skipObjects: Boolean(flags["skip-objects"]),
      });
      ctx.out(`${r.json}\n`);
      for (const m of r.messages) ctx.err(`${m}\n`);
      if (r.exitCode) ctx.err(`ERROR: signature verification failed (${r.report.problems.join(", ")})\n`);
      return r.exitCode;
    }
    if (sub === "update") {
      updatePatterns(subArgs);
      sigUpdate(repo, subArgs, await signSetup(ctx, top.flags));
      return;
    }
    const rules = {
      part: flags.part as string | undefined,
      raw: flags.raw as string | undefined,
      include: flags.include as string[] | undefined,
      exclude: flags.exclude as string[] | undefined,
      noConfig: Boolean(flags.noconfig),
    };
    checkAddRules(rules);
    sigAdd(repo, rules, await signSetup(ctx, top.flags));
  },
};
