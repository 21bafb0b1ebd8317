/** Campaigns and their tests kept in the collector's SQLite database (JSON rows), so they survive a restart. */
import type Database from 'better-sqlite3';
import type { BisectVerdict } from './bisect.ts';
import type { CampaignRecord, CampaignStore, CampaignTestRecord } from './store.ts';

export class SqliteCampaignStore implements CampaignStore {
  private readonly put: Database.Statement;
  private readonly get: Database.Statement;
  private readonly all: Database.Statement;
  private readonly addTest: Database.Statement;
  private readonly tests: Database.Statement;

  constructor(db: Database.Database) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS nettest_campaigns (id TEXT PRIMARY KEY, started_at INTEGER NOT NULL, doc TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS nettest_tests (
        id INTEGER PRIMARY KEY AUTOINCREMENT, campaign_id TEXT NOT NULL, round INTEGER NOT NULL, at INTEGER NOT NULL, doc TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS nettest_tests_campaign ON nettest_tests(campaign_id, id);`);
    this.put = db.prepare('INSERT OR REPLACE INTO nettest_campaigns (id, started_at, doc) VALUES (?, ?, ?)');
    this.get = db.prepare('SELECT doc FROM nettest_campaigns WHERE id = ?');
    this.all = db.prepare('SELECT doc FROM nettest_campaigns ORDER BY started_at DESC LIMIT 200');
    this.addTest = db.prepare('INSERT INTO nettest_tests (campaign_id, round, at, doc) VALUES (?, ?, ?, ?)');
    this.tests = db.prepare('SELECT doc FROM nettest_tests WHERE campaign_id = ? ORDER BY id');
  }

  async createCampaign(c: CampaignRecord): Promise<void> {
    this.put.run(c.id, c.startedAt, JSON.stringify(c));
  }

  async recordTest(t: CampaignTestRecord): Promise<void> {
    this.addTest.run(t.campaignId, t.round, t.at, JSON.stringify(t));
  }

  async finishCampaign(id: string, status: 'done' | 'aborted', verdict: BisectVerdict, at: number): Promise<void> {
    const c = await this.getCampaign(id);
    if (c) this.put.run(id, c.startedAt, JSON.stringify({ ...c, status, verdict, finishedAt: at }));
  }

  async getCampaign(id: string): Promise<CampaignRecord | undefined> {
    const row = this.get.get(id) as { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as CampaignRecord) : undefined;
  }

  async listTests(campaignId: string): Promise<CampaignTestRecord[]> {
    return (this.tests.all(campaignId) as { doc: string }[]).map((r) => JSON.parse(r.doc) as CampaignTestRecord);
  }

  async listCampaigns(): Promise<CampaignRecord[]> {
    return (this.all.all() as { doc: string }[]).map((r) => JSON.parse(r.doc) as CampaignRecord);
  }
}
