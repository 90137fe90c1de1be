/**
 * The files dm-convert and dm-apply edit (spec pvr-format 14.1): the manifest
 * `<container>/_dm/<volume>.json` (canonical), the volume references in `<container>/run.json`
 * (`modules`, `firmware`, `root-volume`, then `volumes[]` become `dm:<volume>`; canonical), and
 * `dm_enabled` in `<container>/src.json`, written as the Go tool does: MarshalIndent(" ", " ")
 * with the Source struct's member order and HTML-safe strings.
 */
import { existsSync, readFileSync } from "node:fs";
import { PvrError } from "../../errors";
import { writeFileDurable } from "../../fsutil/durable";
import { canonicalize, compareKeys } from "../../state/canonical";
import { goString } from "../../state/indent";
import { isJsonObject, type JsonObject, JsonNumber, type JsonValue, newObject, parseJson } from "../../state/json";

export function readJsonObject(path: string, label: string): JsonObject | null {
  if (!existsSync(path)) return null;
  let v: JsonValue;
  try {
    v = parseJson(readFileSync(path, "utf8"));
  } catch (err) {
    throw PvrError.badJson(`${label}: ${(err as Error).message}`);
  }
  if (!isJsonObject(v)) throw PvrError.badJson(`${label}: not a JSON object`);
  return v;
}

export function writeCanonical(path: string, v: JsonValue): void {
  writeFileDurable(path, canonicalize(v));
}

/** Points run.json at `dm:<volume>`; "changed", "already" (it was), or "missing" (no reference). */
export function dmifyRunJson(run: JsonObject, volume: string): "changed" | "already" | "missing" {
  const dm = `dm:${volume}`;
  for (const field of ["modules", "firmware", "root-volume"]) {
    if (run[field] === volume) {
      run[field] = dm;
      return "changed";
    }
    if (run[field] === dm) return "already";
  }
  const vols = run.volumes;
  if (!Array.isArray(vols)) return "missing";
  let found: "changed" | "already" | "missing" = "missing";
  vols.forEach((v, i) => {
    if (v === volume) {
      vols[i] = dm;
      found = "changed";
    } else if (v === dm && found === "missing") found = "already";
  });
  return found;
}

const SOURCE_ORDER = ["base", "name", "#spec", "template", "args", "dm_enabled", "logs", "exports", "config", "docker_name", "docker_tag", "docker_digest", "docker_ovl_digest", "docker_source", "docker_config", "docker_platform", "format_options", "pvr", "pvr_digest", "rootfs_url", "rootfs_digest", "persistence"];

function indented(v: JsonValue, depth: number, out: string[]): void {
  if (v === null || typeof v === "boolean") out.push(String(v));
  else if (typeof v === "string") out.push(goString(v));
  else if (v instanceof JsonNumber) out.push(v.text);
  else {
    const entries: [string | null, JsonValue][] = Array.isArray(v) ? v.map((x) => [null, x]) : Object.entries(v);
    const [open, close] = Array.isArray(v) ? ["[", "]"] : ["{", "}"];
    if (entries.length === 0) return void out.push(open + close);
    out.push(open);
    entries.forEach(([k, x], i) => {
      out.push(`${i ? "," : ""}\n ${" ".repeat(depth + 1)}${k === null ? "" : `${goString(k)}: `}`);
      indented(x, depth + 1, out);
    });
    out.push(`\n ${" ".repeat(depth)}${close}`);
  }
}

/** src.json with `dm_enabled[volume] = true`, members in the Go struct's order (unknown ones last). */
export function srcJsonWithDm(src: JsonObject, volume: string): string {
  const had = isJsonObject(src.dm_enabled) ? src.dm_enabled : newObject();
  had[volume] = true;
  const dm = newObject(); // a Go map: keys sorted
  for (const k of Object.keys(had).sort(compareKeys)) dm[k] = had[k] as JsonValue;
  src.dm_enabled = dm;
  const ordered = newObject();
  for (const k of SOURCE_ORDER) if (k in src) ordered[k] = src[k] as JsonValue;
  for (const k of Object.keys(src)) if (!(k in ordered)) ordered[k] = src[k] as JsonValue;
  const out: string[] = [];
  indented(ordered, 0, out);
  return out.join("");
}
