/**
 * Where the isolation engine keeps its memory across collector restarts (isolation records,
 * the ladder's history, the breaker, pending approvals, job fault counts): one JSON document
 * per key in a small table of the collector database, written in one statement.
 */
import type Database from 'better-sqlite3';

export class IsolationStateStore {
  private readonly getStmt;
  private readonly putStmt;

  constructor(db: Database.Database) {
    db.exec(
      'CREATE TABLE IF NOT EXISTS isolation_state (key TEXT PRIMARY KEY, value TEXT NOT NULL, ts INTEGER NOT NULL)',
    );
    this.getStmt = db.prepare('SELECT value FROM isolation_state WHERE key = ?');
    this.putStmt = db.prepare(
      'INSERT INTO isolation_state (key, value, ts) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, ts = excluded.ts',
    );
  }

  load<T>(key: string): T | undefined {
    const row = this.getStmt.get(key) as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  save(key: string, value: unknown, now: number): void {
    this.putStmt.run(key, JSON.stringify(value), now);
  }
}
