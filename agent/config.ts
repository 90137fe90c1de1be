/**
 * The one configuration table of `pvr agent`: flag, environment variable, default and
 * description of every setting. The command's flags and its `--help` text are generated from
 * CONFIG_TABLE, and resolveConfig() turns parsed flags into a typed AgentConfig. Defaults that
 * depend on the machine are decided here: "on a device" means a Pantavisor pv-ctrl socket exists
 * (probed in the order of device.md 2.1) or `--backend pantavisor` was asked for.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { PVCTRL_SOCKET_CANDIDATES } from "./device/pvctrl";
import { PvrError } from "./errors";
import { parseListen, type ListenAddress } from "./listen";
import { type AgentTrust, resolveTrust } from "./trust/options";
import { writeLine } from "./util/log-line";

export type BackendChoice = "pantavisor" | "standalone" | "auto";

export interface ConfigEntry {
  key: keyof RawConfig;
  flag: string;
  env: string;
  type: "string" | "bool";
  value?: string;
  default: string;
  description: string;
}

type RawConfig = Record<"listen" | "storage" | "backend" | "pvCtrl" | "db" | "tokenFile" | "readOnly" | "maxObjectSize" | "maxJsonSize" | "urlTtl" | "settleTime" | "requireSignatures" | "trustedKeys" | "cacerts" | "verity", string | boolean | undefined>;

/** Where clients look for pv-ctrl, in order (pv:tools/pvcontrol, pv:pvtx). */
export const PV_CTRL_PROBES = PVCTRL_SOCKET_CANDIDATES;

export const CONFIG_TABLE: ConfigEntry[] = [
  { key: "listen", flag: "listen", env: "PVR_AGENT_LISTEN", type: "string", value: "HOST:PORT", default: "0.0.0.0:12368 on a device, else 127.0.0.1:12368", description: "address to serve /cgi-bin/pvr on; IPv6 in brackets ([::]:12368); port 0 picks a free port" },
  { key: "storage", flag: "storage", env: "PVR_AGENT_STORAGE", type: "string", value: "DIR", default: "/storage on a device, else ./.pvr-agent", description: "storage root holding objects/ and trails/" },
  { key: "backend", flag: "backend", env: "PVR_AGENT_BACKEND", type: "string", value: "NAME", default: "auto", description: "pantavisor (pv-ctrl), standalone (the agent switches trails itself) or auto (pantavisor when a pv-ctrl socket exists)" },
  { key: "pvCtrl", flag: "pv-ctrl", env: "PVR_AGENT_PV_CTRL", type: "string", value: "SOCKET", default: `first of ${PV_CTRL_PROBES.join(", ")}`, description: "Pantavisor control socket" },
  { key: "db", flag: "db", env: "PVR_AGENT_DB", type: "string", value: "FILE", default: "<storage>/.pvr-agent/agent.db", description: "SQLite database: revisions, progress, uploads, meta, events" },
  { key: "tokenFile", flag: "token-file", env: "PVR_AGENT_TOKEN_FILE", type: "string", value: "FILE", default: "none (open access)", description: "require 'Authorization: Bearer <token>' (the file's content) on every route; signed blob URLs stay usable" },
  { key: "readOnly", flag: "read-only", env: "PVR_AGENT_READ_ONLY", type: "bool", default: "false", description: "refuse posts, uploads and meta writes (405)" },
  { key: "maxObjectSize", flag: "max-object-size", env: "PVR_AGENT_MAX_OBJECT_SIZE", type: "string", value: "BYTES", default: "8G", description: "largest object accepted for upload (suffixes K, M, G)" },
  { key: "maxJsonSize", flag: "max-json-size", env: "PVR_AGENT_MAX_JSON_SIZE", type: "string", value: "BYTES", default: "16M", description: "largest JSON request body (states, envelopes)" },
  { key: "settleTime", flag: "settle-time", env: "PVR_AGENT_SETTLE_TIME", type: "string", value: "SECONDS", default: "0", description: "standalone: how long a run stays INPROGRESS before DONE (like Pantavisor's commit delay)" },
  { key: "urlTtl", flag: "url-ttl", env: "PVR_AGENT_URL_TTL", type: "string", value: "SECONDS", default: "3600", description: "lifetime of signed blob URLs in token mode" },
  // The trust policy (agent/trust/options.ts). Any of these four makes it active: a post failing
  // the check is refused with 422. Without them, signatures are only checked against the keys
  // they embed and problems are reported (post response "trust", log, event log), never refused.
  { key: "requireSignatures", flag: "require-signatures", env: "PVR_AGENT_REQUIRE_SIGNATURES", type: "bool", default: "false", description: "refuse (422) a post unless every entry is covered by a pvs signature that verifies against --trusted-keys or --cacerts (one is needed); implies --verity verify unless --verity off. Without any trust flag, signature problems are only reported (post response, log), never refused" },
  { key: "trustedKeys", flag: "trusted-keys", env: "PVR_AGENT_TRUSTED_KEYS", type: "string", value: "FILE", default: "none", description: "PEM file of PUBLIC KEY blocks (one or several): pvs signatures must verify against one of them, else the post is refused (422)" },
  { key: "cacerts", flag: "cacerts", env: "PVR_AGENT_CACERTS", type: "string", value: "FILE|_system_", default: "none", description: "CA certificates (PEM) the x5c chains of pvs signatures must lead to, for code signing; _system_ = the OS bundle; not with --trusted-keys" },
  { key: "verity", flag: "verity", env: "PVR_AGENT_VERITY", type: "string", value: "verify|off", default: "verify with --require-signatures, else off", description: "verify: refuse (422) a post whose dm-verity manifests do not match their data and hash objects, or whose run.json does not mount them through dm:" },
];

export interface AgentConfig {
  listen: ListenAddress;
  storage: string;
  backend: "pantavisor" | "standalone";
  pvCtrl: string | undefined;
  db: string;
  token: string | undefined;
  readOnly: boolean;
  maxObjectSize: number;
  maxJsonSize: number;
  urlTtl: number;
  settleMs: number;
  /** the trust policy checked before a post is deployed */
  trust: AgentTrust;
}

export function parseSize(text: string, what: string): number {
  const m = /^\s*(\d+)\s*([kmgt]?)i?b?\s*$/i.exec(text);
  if (!m) throw PvrError.usage(`${what}: ${JSON.stringify(text)} is not a size (e.g. 1048576, 512K, 16M, 8G)`);
  const mult = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[(m[2] ?? "").toLowerCase()] ?? 1;
  return Number(m[1]) * mult;
}

export function isSocket(path: string): boolean {
  try {
    return statSync(path).isSocket();
  } catch {
    return false;
  }
}

/** Turns parsed flag values (env already applied) into the agent's configuration. */
export function resolveConfig(
  raw: Partial<RawConfig>,
  cwd: string,
  probe: (p: string) => boolean = isSocket,
  env: Record<string, string | undefined> = process.env,
  warn: (msg: string) => void = (m) => writeLine(2, `${m}\n`),
): AgentConfig {
  const str = (k: keyof RawConfig) => (typeof raw[k] === "string" && raw[k] !== "" ? (raw[k] as string) : undefined);
  const choice = (str("backend") ?? "auto") as BackendChoice;
  if (!["pantavisor", "standalone", "auto"].includes(choice)) throw PvrError.usage(`--backend must be pantavisor, standalone or auto, not ${JSON.stringify(choice)}`);
  const pvCtrl = str("pvCtrl") ?? PV_CTRL_PROBES.find(probe);
  const onDevice = choice === "pantavisor" || (choice === "auto" && pvCtrl !== undefined && probe(pvCtrl));
  if (choice === "pantavisor" && !pvCtrl) throw PvrError.usage(`--backend pantavisor: no pv-ctrl socket found (${PV_CTRL_PROBES.join(", ")}); give --pv-ctrl`);
  const storage = resolve(cwd, str("storage") ?? (onDevice ? "/storage" : ".pvr-agent"));
  let token: string | undefined;
  const tokenFile = str("tokenFile");
  if (tokenFile) {
    const path = resolve(cwd, tokenFile);
    if (!existsSync(path)) throw PvrError.usage(`--token-file ${path} does not exist`);
    token = readFileSync(path, "utf8").trim();
    if (token === "" || /\s/.test(token)) throw PvrError.usage(`--token-file ${path} must hold one token without spaces`);
  }
  const ttl = Number(str("urlTtl") ?? "3600");
  if (!Number.isInteger(ttl) || ttl < 1) throw PvrError.usage("--url-ttl must be a positive number of seconds");
  const settle = Number(str("settleTime") ?? "0");
  if (!Number.isFinite(settle) || settle < 0) throw PvrError.usage("--settle-time must be a number of seconds (0 or more)");
  return {
    listen: parseListen(str("listen") ?? (onDevice ? "0.0.0.0:12368" : "127.0.0.1:12368")),
    storage,
    backend: onDevice ? "pantavisor" : "standalone",
    pvCtrl: onDevice ? pvCtrl : undefined,
    db: resolve(cwd, str("db") ?? join(storage, ".pvr-agent", "agent.db")),
    token,
    readOnly: raw.readOnly === true,
    maxObjectSize: parseSize(str("maxObjectSize") ?? "8G", "--max-object-size"),
    maxJsonSize: parseSize(str("maxJsonSize") ?? "16M", "--max-json-size"),
    urlTtl: ttl,
    settleMs: Math.round(settle * 1000),
    trust: resolveTrust({ requireSignatures: raw.requireSignatures === true, trustedKeys: str("trustedKeys"), cacerts: str("cacerts"), verity: str("verity") }, cwd, env, warn),
  };
}

/** The table as Markdown, for the README. */
export function configMarkdown(): string {
  const rows = CONFIG_TABLE.map((e) => `| \`--${e.flag}${e.value ? ` ${e.value}` : ""}\` | \`${e.env}\` | ${e.default} | ${e.description} |`);
  return ["| flag | environment | default | description |", "|---|---|---|---|", ...rows].join("\n");
}
