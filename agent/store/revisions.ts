/**
 * The revisions table: every revision the agent created or knows of, with its state sha, commit
 * message and last known progress (device.md 7.1). The standalone backend owns the progress of
 * its revisions; with Pantavisor the agent mirrors what pv-ctrl reports.
 */
import type { Database } from "bun:sqlite";
import type { Progress } from "../device/backend";
import { nowIso } from "./db";

export interface RevisionRow {
  name: string;
  stateSha: string;
  commitMsg: string;
  created: string;
  updated: string;
  progress: Progress | null;
}

interface Raw {
  name: string;
  state_sha: string;
  commit_msg: string;
  created: string;
  updated: string;
  status: string;
  progress_json: string;
}

function toRow(r: Raw): RevisionRow {
  return {
    name: r.name,
    stateSha: r.state_sha,
    commitMsg: r.commit_msg,
    created: r.created,
    updated: r.updated,
    progress: r.status === "" ? null : (JSON.parse(r.progress_json) as Progress),
  };
}

export class Revisions {
  constructor(private readonly db: Database) {}

  get(name: string): RevisionRow | null {
    const r = this.db.query("SELECT * FROM revisions WHERE name = ?").get(name) as Raw | null;
    return r ? toRow(r) : null;
  }

  /** All revisions, oldest first (factory `0` first). */
  list(): RevisionRow[] {
    return (this.db.query("SELECT * FROM revisions ORDER BY created, rowid").all() as Raw[]).map(toRow);
  }

  /** Creates or replaces a revision; its progress is reset to `progress` (or none). */
  put(name: string, stateSha: string, commitMsg: string, progress: Progress | null = null): void {
    const now = nowIso();
    this.db
      .query(
        `INSERT INTO revisions (name, state_sha, commit_msg, created, updated, status, status_msg, progress, progress_json)
         VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (name) DO UPDATE SET state_sha = ?2, commit_msg = ?3, created = ?4, updated = ?4,
           status = ?5, status_msg = ?6, progress = ?7, progress_json = ?8`,
      )
      .run(name, stateSha, commitMsg, now, progress?.status ?? "", progress?.["status-msg"] ?? "", progress?.progress ?? 0, JSON.stringify(progress ?? {}));
  }

  /** Records a progress change; returns false when the revision is unknown. */
  setProgress(name: string, p: Progress): boolean {
    const res = this.db
      .query("UPDATE revisions SET status = ?, status_msg = ?, progress = ?, progress_json = ?, updated = ? WHERE name = ?")
      .run(p.status, p["status-msg"], p.progress, JSON.stringify(p), nowIso(), name);
    return res.changes > 0;
  }

  setCommitMsg(name: string, msg: string): void {
    this.db.query("UPDATE revisions SET commit_msg = ?, updated = ? WHERE name = ?").run(msg, nowIso(), name);
  }

  delete(name: string): void {
    this.db.query("DELETE FROM revisions WHERE name = ?").run(name);
  }

  /** Revisions whose last known status is not final (an update that may still move). */
  unfinished(final: Set<string>): RevisionRow[] {
    return this.list().filter((r) => r.progress !== null && !final.has(r.progress.status));
  }
}
