/**
 * user-meta and device-meta for the standalone backend: one row per (kind, key), the raw value
 * text, at most META_VALUE_MAX bytes (device.md 6.3, METADATA_MAX_SIZE).
 */
import type { Database } from "bun:sqlite";
import type { MetaKind } from "../device/backend";
import { nowIso } from "./db";

export const META_VALUE_MAX = 4096;

export class Meta {
  constructor(private readonly db: Database) {}

  all(kind: MetaKind): Record<string, string> {
    const rows = this.db.query("SELECT key, value FROM meta WHERE kind = ? ORDER BY key").all(kind) as { key: string; value: string }[];
    const out: Record<string, string> = {};
    for (const r of rows) out[r.key] = r.value;
    return out;
  }

  get(kind: MetaKind, key: string): string | null {
    const r = this.db.query("SELECT value FROM meta WHERE kind = ? AND key = ?").get(kind, key) as { value: string } | null;
    return r ? r.value : null;
  }

  put(kind: MetaKind, key: string, value: string): void {
    if (Buffer.byteLength(value) > META_VALUE_MAX) throw new RangeError(`meta value over ${META_VALUE_MAX} bytes`);
    this.db
      .query("INSERT INTO meta (kind, key, value, updated) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (kind, key) DO UPDATE SET value = ?3, updated = ?4")
      .run(kind, key, value, nowIso());
  }

  delete(kind: MetaKind, key: string): boolean {
    return this.db.query("DELETE FROM meta WHERE kind = ? AND key = ?").run(kind, key).changes > 0;
  }
}
