/**
 * Flag parsing in the Go tool's style (urfave/cli): `--name value`, `--name=value`, `-n value`,
 * boolean switches, repeatable string flags, env var fallbacks, and `--` to end flags. Unlike
 * urfave, flags may also follow positional arguments.
 */
import { PvrError } from "../agent/errors";

export interface FlagSpec {
  name: string;
  aliases?: string[];
  type: "bool" | "string" | "strings";
  env?: string;
  default?: string;
  value?: string;
  description: string;
}

export type FlagValues = Record<string, string | boolean | string[] | undefined>;

export interface Parsed {
  flags: FlagValues;
  args: string[];
}

function lookup(specs: FlagSpec[], token: string): FlagSpec | undefined {
  return specs.find((s) => s.name === token || s.aliases?.includes(token));
}

function truthy(v: string): boolean {
  return /^(1|t|true|yes|on)$/i.test(v);
}

/** Parses argv; `stopAtPositional` stops at the first non-flag (used for global flags). */
export function parseFlags(argv: string[], specs: FlagSpec[], env: Record<string, string | undefined>, stopAtPositional = false): Parsed & { rest: string[] } {
  const flags: FlagValues = {};
  const args: string[] = [];
  let i = 0;
  for (; i < argv.length; i++) {
    const tok = argv[i] as string;
    if (tok === "--") {
      args.push(...argv.slice(i + 1));
      i = argv.length;
      break;
    }
    if (!tok.startsWith("-") || tok === "-") {
      if (stopAtPositional) break;
      args.push(tok);
      continue;
    }
    const eq = tok.indexOf("=");
    const name = (eq > 0 ? tok.slice(0, eq) : tok).replace(/^--?/, "");
    const spec = lookup(specs, name);
    if (!spec) {
      if (stopAtPositional) break;
      throw PvrError.usage(`flag provided but not defined: ${tok.slice(0, eq > 0 ? eq : undefined)}`);
    }
    if (spec.type === "bool") {
      flags[spec.name] = eq > 0 ? truthy(tok.slice(eq + 1)) : true;
      continue;
    }
    let value: string;
    if (eq > 0) value = tok.slice(eq + 1);
    else {
      if (i + 1 >= argv.length) throw PvrError.usage(`flag needs an argument: ${tok}`);
      value = argv[++i] as string;
    }
    if (spec.type === "strings") flags[spec.name] = [...((flags[spec.name] as string[]) ?? []), value];
    else flags[spec.name] = value;
  }
  for (const spec of specs) {
    if (flags[spec.name] !== undefined) continue;
    const fromEnv = spec.env ? env[spec.env] : undefined;
    if (fromEnv !== undefined && fromEnv !== "") {
      flags[spec.name] = spec.type === "bool" ? truthy(fromEnv) : spec.type === "strings" ? [fromEnv] : fromEnv;
    } else if (spec.default !== undefined) {
      flags[spec.name] = spec.type === "bool" ? truthy(spec.default) : spec.type === "strings" ? [spec.default] : spec.default;
    }
  }
  return { flags, args, rest: argv.slice(i) };
}

export function flagHelp(specs: FlagSpec[]): string {
  const rows = specs.map((s) => {
    const names = [s.name, ...(s.aliases ?? [])].map((n) => (n.length === 1 ? `-${n}` : `--${n}`)).join(", ");
    const left = s.type === "bool" ? names : `${names} ${s.value ?? "VALUE"}`;
    const extra = [s.default !== undefined ? `default: ${s.default}` : "", s.env ? `$${s.env}` : ""].filter(Boolean).join("; ");
    return [left, extra ? `${s.description} (${extra})` : s.description] as const;
  });
  const w = Math.min(34, Math.max(0, ...rows.map(([l]) => l.length)));
  return rows.map(([l, r]) => `   ${l.padEnd(w)}  ${r}`).join("\n");
}
