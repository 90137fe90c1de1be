/**
 * The agent's persistent store: one SQLite database with typed accessors per table. Everything
 * the agent must not forget across restarts (revisions and their progress, upload sessions,
 * standalone meta, the event log) lives here.
 */
import type { Database } from "bun:sqlite";
import { openDatabase } from "./db";
import { Events } from "./events";
import { Meta } from "./meta";
import { Revisions } from "./revisions";
import { Uploads } from "./uploads";

export class AgentStore {
  readonly revisions: Revisions;
  readonly uploads: Uploads;
  readonly meta: Meta;
  readonly events: Events;

  constructor(readonly db: Database) {
    this.revisions = new Revisions(db);
    this.uploads = new Uploads(db);
    this.meta = new Meta(db);
    this.events = new Events(db);
  }

  static open(file: string): AgentStore {
    return new AgentStore(openDatabase(file));
  }

  close(): void {
    this.db.close();
  }
}
