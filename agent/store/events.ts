/**
 * The event log: one row per state change (revision posted, run, progress, current switched,
 * meta written), newest kept, oldest pruned past EVENTS_KEEP rows.
 */
import type { Database } from "bun:sqlite";
import { nowIso } from "./db";

export const EVENTS_KEEP = 10_000;

export interface EventRow {
  id: number;
  time: string;
  kind: string;
  detail: string;
}

export class Events {
  private added = 0;
  constructor(private readonly db: Database) {}

  add(kind: string, detail: string): void {
    this.db.query("INSERT INTO events (time, kind, detail) VALUES (?, ?, ?)").run(nowIso(), kind, detail);
    if (++this.added % 500 === 0) this.prune();
  }

  /** The newest `limit` events, oldest first. */
  recent(limit = 100): EventRow[] {
    const rows = this.db.query("SELECT id, time, kind, detail FROM events ORDER BY id DESC LIMIT ?").all(limit) as EventRow[];
    return rows.reverse();
  }

  prune(keep = EVENTS_KEEP): void {
    this.db.query("DELETE FROM events WHERE id <= (SELECT MAX(id) FROM events) - ?").run(keep);
  }
}
