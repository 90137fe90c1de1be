/**
 * Where pvs key material comes from (spec pvr-format 12.3): `--key`, `--x5c`, `--cacerts` fall
 * back to `<config-dir>/pvs/{key,x5c,cacerts}.default.pem`. When a default file is missing, the
 * user may download Pantacor's developer keys from `--certs-url` (honoured here, ignored by the
 * Go tool) after answering exactly `y` or `yes` (the Go tool took any answer containing a `y`).
 * `--cacerts _system_` selects the operating system's CA bundle: $SSL_CERT_FILE, else the first
 * of the usual Debian, Fedora, Alpine and macOS bundle paths that exists.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { x as untar } from "tar";
import { PvrError } from "../../errors";

export const DEFAULT_CERTS_URL = "https://gitlab.com/pantacor/pv-developer-ca/-/raw/master/pvs/pvs.defaultkeys.tar.gz?inline=false";
export const SYSTEM_CACERTS = "_system_";

const SYSTEM_BUNDLES = [
  "/etc/ssl/certs/ca-certificates.crt",
  "/etc/pki/tls/certs/ca-bundle.crt",
  "/etc/ssl/cert.pem",
  "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
];

export function systemCaBundle(env: Record<string, string | undefined>): string {
  const fromEnv = env.SSL_CERT_FILE;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  const found = SYSTEM_BUNDLES.find((p) => existsSync(p));
  if (!found) throw PvrError.notFound(`no system CA bundle found (looked at $SSL_CERT_FILE and ${SYSTEM_BUNDLES.join(", ")})`);
  return found;
}

/** An explicit yes: "y" or "yes" in any case, nothing else. */
export function isYes(answer: string | null): boolean {
  return answer !== null && /^\s*(y|yes)\s*$/i.test(answer);
}

export interface KeyFiles {
  configDir: string;
  certsUrl?: string;
  env: Record<string, string | undefined>;
  /** asks a question on the terminal; null when there is no terminal to ask on */
  ask: (question: string) => Promise<string | null>;
  log: (line: string) => void;
}

async function downloadDevKeys(io: KeyFiles): Promise<void> {
  const url = io.certsUrl || DEFAULT_CERTS_URL;
  io.log(`Downloading developer keys from ${url}`);
  const res = await fetch(url);
  if (!res.ok) throw PvrError.failed(`cannot download ${url}: HTTP ${res.status}`);
  mkdirSync(io.configDir, { recursive: true });
  const tgz = join(io.configDir, "pvs.defaultkeys.tar.gz");
  writeFileSync(tgz, new Uint8Array(await res.arrayBuffer()));
  await untar({ file: tgz, cwd: io.configDir, filter: (p) => /^(\.\/)?pvs\/[^/]+\.pem$/.test(p) });
}

/**
 * The path of `<config-dir>/pvs/<name>`, offering the developer-key download when it is
 * missing. Without a terminal, or on any answer but yes, the missing path is an error that
 * names the flag to use instead.
 */
export async function defaultKeyFile(name: string, flag: string, io: KeyFiles): Promise<string> {
  const path = join(io.configDir, "pvs", name);
  if (existsSync(path)) return path;
  const answer = await io.ask(
    "Do you want to download the default developer keys that can be validated by pantavisor official developer builds? [yes/no]\n" +
      "(NOTE: this should be used only for development proposes because they are not secret)\n",
  );
  if (isYes(answer)) {
    await downloadDevKeys(io);
    if (existsSync(path)) return path;
    throw PvrError.notFound(`the developer key download did not contain pvs/${name}`);
  }
  throw PvrError.notFound(`${path} does not exist; give ${flag} or run interactively to download the developer keys`);
}
