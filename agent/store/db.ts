/**
 * Opens the agent's SQLite database (bun:sqlite) in WAL mode with full fsync, so a committed
 * change survives a crash or power cut, and brings its schema up to date (migrations.ts).
 */
import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { fromSystemError, PvrError } from "../errors";
import { MIGRATIONS, type Migration } from "./migrations";

/** UTC time as Pantavisor prints it: 2026-05-26T10:00:50Z. */
export function nowIso(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function openDatabase(file: string, migrations: Migration[] = MIGRATIONS): Database {
  try {
    if (file !== ":memory:") mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  } catch (err) {
    throw fromSystemError(err, `cannot create the directory of ${file}`);
  }
  let db: Database;
  try {
    db = new Database(file, { create: true, strict: true });
    db.exec("PRAGMA busy_timeout = 5000");
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA synchronous = FULL");
    db.exec("PRAGMA foreign_keys = ON");
  } catch (err) {
    throw PvrError.failed(`cannot open the agent database ${file}: ${(err as Error).message}`);
  }
  migrate(db, migrations);
  return db;
}

export function schemaVersion(db: Database): number {
  const row = db.query("SELECT MAX(version) AS v FROM schema_migrations").get() as { v: number | null } | null;
  return row?.v ?? 0;
}

export function migrate(db: Database, migrations: Migration[]): void {
  db.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied TEXT NOT NULL)");
  const current = schemaVersion(db);
  const known = Math.max(0, ...migrations.map((m) => m.version));
  if (current > known) throw PvrError.failed(`the agent database has schema ${current}, newer than this pvr (${known}); upgrade pvr`);
  for (const m of migrations.filter((x) => x.version > current).sort((a, b) => a.version - b.version)) {
    db.transaction(() => {
      db.exec(m.sql);
      db.query("INSERT INTO schema_migrations (version, name, applied) VALUES (?, ?, ?)").run(m.version, m.name, nowIso());
    })();
  }
}
