/**
 * Upload sessions: what `POST objects/` announced for a sha (size, object name) so the blob PUT
 * can be checked against it. A session ends when the object is installed; stale ones expire.
 */
import type { Database } from "bun:sqlite";
import { nowIso } from "./db";

export interface UploadRow {
  sha: string;
  size: number | null;
  objectName: string;
  created: string;
}

interface Raw {
  sha: string;
  size: number | null;
  object_name: string;
  created: string;
}

export class Uploads {
  constructor(private readonly db: Database) {}

  /** Announces (or re-announces) an upload. */
  begin(sha: string, size: number | null, objectName: string): void {
    this.db
      .query("INSERT INTO uploads (sha, size, object_name, created) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (sha) DO UPDATE SET size = ?2, object_name = ?3, created = ?4")
      .run(sha, size, objectName, nowIso());
  }

  get(sha: string): UploadRow | null {
    const r = this.db.query("SELECT * FROM uploads WHERE sha = ?").get(sha) as Raw | null;
    return r ? { sha: r.sha, size: r.size, objectName: r.object_name, created: r.created } : null;
  }

  end(sha: string): void {
    this.db.query("DELETE FROM uploads WHERE sha = ?").run(sha);
  }

  /** Drops sessions announced before `before` (ISO time); returns how many. */
  expire(before: string): number {
    return this.db.query("DELETE FROM uploads WHERE created < ?").run(before).changes;
  }
}
