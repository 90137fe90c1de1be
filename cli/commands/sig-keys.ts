/**
 * Key material for `pvr sig` from its flags: the signing key and x5c chain for add/update, and
 * the trust anchors (--pubkey keys, or --cacerts certificates) for ls. Missing default files in
 * <config-dir>/pvs may be downloaded after an explicit yes on the terminal
 * (agent/trust/pvs/config.ts). Not a command: sig.ts uses it.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { SignSetup } from "../../agent/trust/pvs/add";
import { defaultKeyFile, type KeyFiles, SYSTEM_CACERTS, systemCaBundle } from "../../agent/trust/pvs/config";
import { loadCertificates, loadPublicKeys, loadSigningKey, loadX5c } from "../../agent/trust/pvs/keys";
import { checkLeafMatchesKey } from "../../agent/trust/pvs/sign";
import type { TrustAnchors } from "../../agent/trust/pvs/verify";
import type { FlagValues } from "../args";
import type { Context } from "../context";

async function askOnTerminal(question: string): Promise<string | null> {
  if (!process.stdin.isTTY) return null;
  process.stderr.write(question);
  for await (const line of console) return line;
  return null;
}

function keyFiles(ctx: Context, flags: FlagValues): KeyFiles {
  return {
    configDir: ctx.configDir,
    certsUrl: flags["certs-url"] as string | undefined,
    env: ctx.env,
    ask: askOnTerminal,
    log: (l) => ctx.err(`${l}\n`),
  };
}

export async function signSetup(ctx: Context, flags: FlagValues): Promise<SignSetup> {
  const io = keyFiles(ctx, flags);
  const keyFlag = flags.key as string | undefined;
  const key = loadSigningKey(keyFlag || (await defaultKeyFile("key.default.pem", "--key", io)));
  const x5cFlag = flags.x5c as string | undefined;
  let x5c: string[] | null = null;
  if (x5cFlag === "no") x5c = null;
  else if (x5cFlag) x5c = loadX5c(x5cFlag);
  else {
    // an explicit --key with no default chain on disk signs without x5c instead of prompting
    const def = join(ctx.configDir, "pvs", "x5c.default.pem");
    if (!keyFlag || existsSync(def)) x5c = loadX5c(await defaultKeyFile("x5c.default.pem", "--x5c (or --x5c no)", io));
  }
  if (x5c) checkLeafMatchesKey(x5c, key);
  return {
    key,
    x5c,
    withPayload: Boolean(flags["with-payload"]),
    output: (flags.output as string | undefined) || undefined,
    out: ctx.out,
    err: ctx.err,
  };
}

export async function trustAnchors(ctx: Context, flags: FlagValues): Promise<TrustAnchors> {
  const pubs = (flags.pubkey as string[] | undefined)?.filter(Boolean) ?? [];
  if (pubs.length) {
    const pubkeys = pubs.flatMap((p) => loadPublicKeys(p, (m) => ctx.err(`${m}\n`)));
    return { pubkeys };
  }
  const ca = flags.cacerts as string | undefined;
  const path = ca === SYSTEM_CACERTS ? systemCaBundle(ctx.env) : ca || (await defaultKeyFile("cacerts.default.pem", "--pubkey or --cacerts", keyFiles(ctx, flags)));
  return { cacerts: loadCertificates(path, "CA certificates file") };
}
