/**
 * The isolation audit: an append-only SQLite table (UPDATE and DELETE abort in triggers) in the
 * collector's database, mirrored line by line to a JSONL file (fdatasync'd). Every decision and
 * action: what, why, evidence, who, result.
 */
import { closeSync, fdatasyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';
import { KeelsonError } from '../../core/errors.ts';

export const AUDIT_KINDS = ['decision', 'action', 'operator', 'breaker', 'alert', 'job'] as const;
export type AuditKind = (typeof AUDIT_KINDS)[number];

/** One audit line. */
export interface AuditEntry {
  id: number;
  ts: number;
  kind: AuditKind;
  node?: string;
  /** `isolate`, `release`, `restart-job`, `recommend-reboot`, `breaker-trip`, `approve`, … */
  what: string;
  why: string;
  evidence?: string;
  /** `policy`, `job-flow`, `operator:<name>`, `auto-release`. */
  who: string;
  /** `done`, `dry-run`, `pending-approval`, `refused: operator-owned`, `failed: …`. */
  result: string;
  detail?: Record<string, unknown>;
}

export type NewAuditEntry = Omit<AuditEntry, 'id'>;

export interface AuditQuery {
  node?: string;
  kind?: AuditKind;
  what?: string;
  since?: number;
  /** Newest first; at most 10 000. */
  limit?: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS isolation_audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  ts INTEGER NOT NULL,
  kind TEXT NOT NULL,
  node TEXT,
  what TEXT NOT NULL,
  why TEXT NOT NULL,
  evidence TEXT,
  who TEXT NOT NULL,
  result TEXT NOT NULL,
  detail TEXT
);
CREATE INDEX IF NOT EXISTS isolation_audit_node ON isolation_audit(node, id);
CREATE TRIGGER IF NOT EXISTS isolation_audit_no_update BEFORE UPDATE ON isolation_audit
  BEGIN SELECT RAISE(ABORT, 'isolation_audit is append-only'); END;
CREATE TRIGGER IF NOT EXISTS isolation_audit_no_delete BEFORE DELETE ON isolation_audit
  BEGIN SELECT RAISE(ABORT, 'isolation_audit is append-only'); END;
`;

/** Create the audit table and its append-only triggers in the collector database. */
export function createAuditTable(db: Database.Database): void {
  db.exec(SCHEMA);
}

type Row = Record<string, unknown>;

function toEntry(r: Row): AuditEntry {
  return {
    id: r.id as number,
    ts: r.ts as number,
    kind: r.kind as AuditKind,
    ...(r.node != null ? { node: r.node as string } : {}),
    what: r.what as string,
    why: r.why as string,
    ...(r.evidence != null ? { evidence: r.evidence as string } : {}),
    who: r.who as string,
    result: r.result as string,
    ...(r.detail != null ? { detail: JSON.parse(r.detail as string) } : {}),
  };
}

export class AuditLog {
  private readonly insert;
  private fd: number | undefined;

  /** `jsonlPath`: also append every entry to this file (created with its directory). */
  constructor(
    private readonly db: Database.Database,
    jsonlPath?: string,
  ) {
    createAuditTable(db);
    this.insert = db.prepare(
      'INSERT INTO isolation_audit (ts, kind, node, what, why, evidence, who, result, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    if (jsonlPath) {
      try {
        mkdirSync(dirname(jsonlPath), { recursive: true });
        this.fd = openSync(jsonlPath, 'a', 0o640);
      } catch (err) {
        throw new KeelsonError('STORE_IO', `cannot open the audit file ${jsonlPath}: ${(err as Error).message}`, {
          cause: err,
        });
      }
    }
  }

  /** Append one entry to the table and the file; returns it with its id. */
  append(e: NewAuditEntry): AuditEntry {
    try {
      const info = this.insert.run(
        e.ts,
        e.kind,
        e.node ?? null,
        e.what,
        e.why,
        e.evidence ?? null,
        e.who,
        e.result,
        e.detail ? JSON.stringify(e.detail) : null,
      );
      const entry: AuditEntry = { id: Number(info.lastInsertRowid), ...e };
      if (this.fd !== undefined) {
        writeSync(this.fd, `${JSON.stringify(entry)}\n`);
        fdatasyncSync(this.fd);
      }
      return entry;
    } catch (err) {
      throw new KeelsonError('STORE_IO', `cannot append to the isolation audit: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  query(q: AuditQuery = {}): AuditEntry[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.node) {
      where.push('node = ?');
      args.push(q.node);
    }
    if (q.kind) {
      where.push('kind = ?');
      args.push(q.kind);
    }
    if (q.what) {
      where.push('what = ?');
      args.push(q.what);
    }
    if (q.since !== undefined) {
      where.push('ts >= ?');
      args.push(q.since);
    }
    const sql = `SELECT * FROM isolation_audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    const limit = Math.max(1, Math.min(q.limit ?? 1000, 10_000));
    return (this.db.prepare(sql).all(...args, limit) as Row[]).map(toEntry);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
