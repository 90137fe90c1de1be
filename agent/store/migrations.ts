/**
 * The agent database schema as an append-only list of migrations. Each runs once, in order, in a
 * transaction, and is recorded in `schema_migrations`; never edit a released entry, add a new one.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: "revisions, uploads, meta, events",
    sql: `
      CREATE TABLE revisions (
        name TEXT PRIMARY KEY,
        state_sha TEXT NOT NULL,
        commit_msg TEXT NOT NULL DEFAULT '',
        created TEXT NOT NULL,
        updated TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT '',
        status_msg TEXT NOT NULL DEFAULT '',
        progress INTEGER NOT NULL DEFAULT 0,
        progress_json TEXT NOT NULL DEFAULT '{}'
      );
      CREATE TABLE uploads (
        sha TEXT PRIMARY KEY,
        size INTEGER,
        object_name TEXT NOT NULL DEFAULT '',
        created TEXT NOT NULL
      );
      CREATE TABLE meta (
        kind TEXT NOT NULL CHECK (kind IN ('user', 'device')),
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        updated TEXT NOT NULL,
        PRIMARY KEY (kind, key)
      );
      CREATE TABLE events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        time TEXT NOT NULL,
        kind TEXT NOT NULL,
        detail TEXT NOT NULL
      );
    `,
  },
];
