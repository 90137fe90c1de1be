/**
 * `.pvr/config` exactly as the Go tool writes it (spec pvr-format 2.2): Go struct order,
 * tab indentation, HTML-safe escaping, no trailing newline. Unknown fields are kept on rewrite.
 */
import { goString } from "../state/indent";
import { isJsonObject, type JsonObject, parseJson } from "../state/json";

export interface PvrConfig {
  DefaultGetUrl: string;
  DefaultPutUrl: string;
  DefaultPostUrl: string;
  ObjectsDir: string;
  extra: JsonObject;
}

const STRING_FIELDS = ["DefaultGetUrl", "DefaultPutUrl", "DefaultPostUrl", "ObjectsDir"] as const;

export function emptyConfig(objectsDir = ""): PvrConfig {
  return { DefaultGetUrl: "", DefaultPutUrl: "", DefaultPostUrl: "", ObjectsDir: objectsDir, extra: Object.create(null) };
}

export function parseConfig(text: string): PvrConfig {
  const v = parseJson(text);
  if (!isJsonObject(v)) throw new Error("not a JSON object");
  const cfg = emptyConfig();
  for (const [k, val] of Object.entries(v)) {
    if ((STRING_FIELDS as readonly string[]).includes(k)) {
      if (typeof val !== "string") throw new Error(`${k} must be a string`);
      cfg[k as (typeof STRING_FIELDS)[number]] = val;
    } else if (k !== "AccessTokens" && k !== "RefreshTokens") cfg.extra[k] = val;
  }
  return cfg;
}

export function formatConfig(cfg: PvrConfig): string {
  const lines = STRING_FIELDS.map((k) => `\t"${k}": ${goString(cfg[k])}`);
  lines.push('\t"AccessTokens": {}', '\t"RefreshTokens": {}');
  return `{\n${lines.join(",\n")}\n}`;
}
