/**
 * An actuator for sites without a scheduler Keelson may touch (and for the demo): it records
 * which nodes Keelson isolated in the collector's database and nothing else. The decision,
 * breaker, audit, alerts and webhook still work, so another system can act on them.
 */
import type Database from 'better-sqlite3';
import { KeelsonError } from '../../core/errors.ts';
import { isOwnReason, type ObservedNode } from '../isolation/safety.ts';
import type { NodeActuator } from './types.ts';

export class RecordOnlyActuator implements NodeActuator {
  readonly name = 'record-only';
  private readonly get: Database.Statement;
  private readonly put: Database.Statement;
  private readonly del: Database.Statement;

  constructor(db: Database.Database) {
    db.exec(
      'CREATE TABLE IF NOT EXISTS record_only_isolations (node TEXT PRIMARY KEY, reason TEXT NOT NULL, at INTEGER NOT NULL)',
    );
    this.get = db.prepare('SELECT reason FROM record_only_isolations WHERE node = ?');
    this.put = db.prepare('INSERT OR REPLACE INTO record_only_isolations (node, reason, at) VALUES (?, ?, ?)');
    this.del = db.prepare('DELETE FROM record_only_isolations WHERE node = ?');
  }

  async read(node: string): Promise<ObservedNode> {
    const row = this.get.get(node) as { reason: string } | undefined;
    return row
      ? { exists: true, isolated: true, reason: row.reason, state: 'isolated (recorded)' }
      : { exists: true, isolated: false, state: 'in service' };
  }

  async isolate(node: string, reason: string): Promise<void> {
    this.put.run(node, reason, Date.now());
  }

  async release(node: string): Promise<void> {
    const row = this.get.get(node) as { reason: string } | undefined;
    if (row && !isOwnReason(row.reason))
      throw new KeelsonError('ISOLATION_REFUSED', `${node} was not isolated by Keelson`);
    this.del.run(node);
  }
}
