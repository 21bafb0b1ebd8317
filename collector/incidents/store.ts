/**
 * Incidents and job spans kept in the collector's SQLite database (one JSON row each), so the
 * stability figures survive a restart. Written through on every change the tracker makes.
 */
import type Database from 'better-sqlite3';
import type { Incident, IncidentStatus } from './types.ts';

/** How long a job has been seen and on how many GPUs: the denominator of its goodput. */
export interface JobSpan {
  job: string;
  firstSeen: number;
  lastSeen: number;
  gpus: number;
}

export interface IncidentQuery {
  /** Incidents whose first evidence or recovery falls at or after this time (or still open). */
  since?: number;
  status?: IncidentStatus | 'active';
  limit?: number;
}

export class IncidentStore {
  private readonly put: Database.Statement;
  private readonly one: Database.Statement;
  private readonly since: Database.Statement;
  private readonly active: Database.Statement;
  private readonly maxId: Database.Statement;
  private readonly putJob: Database.Statement;
  private readonly jobs: Database.Statement;

  constructor(db: Database.Database) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS incidents (
        id TEXT PRIMARY KEY, num INTEGER NOT NULL, status TEXT NOT NULL,
        first_evidence INTEGER NOT NULL, recovered INTEGER, doc TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS incidents_time ON incidents(first_evidence);
      CREATE INDEX IF NOT EXISTS incidents_status ON incidents(status);
      CREATE TABLE IF NOT EXISTS incident_jobs (
        job TEXT PRIMARY KEY, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, gpus INTEGER NOT NULL);`);
    this.put = db.prepare(
      'INSERT OR REPLACE INTO incidents (id, num, status, first_evidence, recovered, doc) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.one = db.prepare('SELECT doc FROM incidents WHERE id = ?');
    this.since = db.prepare(
      `SELECT doc FROM incidents WHERE first_evidence >= ? OR recovered >= ? OR status != 'recovered'
       ORDER BY first_evidence DESC, num DESC LIMIT ?`,
    );
    this.active = db.prepare(`SELECT doc FROM incidents WHERE status != 'recovered' ORDER BY num`);
    this.maxId = db.prepare('SELECT MAX(num) AS n FROM incidents');
    this.putJob = db.prepare(
      `INSERT INTO incident_jobs (job, first_seen, last_seen, gpus) VALUES (?, ?, ?, ?)
       ON CONFLICT(job) DO UPDATE SET first_seen = MIN(first_seen, excluded.first_seen),
         last_seen = MAX(last_seen, excluded.last_seen), gpus = MAX(gpus, excluded.gpus)`,
    );
    this.jobs = db.prepare('SELECT job, first_seen, last_seen, gpus FROM incident_jobs ORDER BY job');
  }

  /** Insert or replace one incident. */
  save(i: Incident): void {
    this.put.run(
      i.id,
      incidentNumber(i.id),
      i.status,
      i.timeline.firstEvidence,
      i.timeline.recovered ?? null,
      JSON.stringify(i),
    );
  }

  get(id: string): Incident | undefined {
    const row = this.one.get(id) as { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as Incident) : undefined;
  }

  /** Newest first. */
  list(q: IncidentQuery = {}): Incident[] {
    const since = q.since ?? 0;
    const rows = this.since.all(since, since, Math.min(q.limit ?? 500, 5000)) as { doc: string }[];
    const all = rows.map((r) => JSON.parse(r.doc) as Incident);
    if (!q.status) return all;
    return all.filter((i) => (q.status === 'active' ? i.status !== 'recovered' : i.status === q.status));
  }

  /** Incidents not yet recovered, oldest first (the tracker reloads these on start). */
  listActive(): Incident[] {
    return (this.active.all() as { doc: string }[]).map((r) => JSON.parse(r.doc) as Incident);
  }

  /** The highest incident number used so far (0 with none). */
  lastNumber(): number {
    return ((this.maxId.get() as { n: number | null }).n ?? 0) as number;
  }

  saveJob(s: JobSpan): void {
    this.putJob.run(s.job, s.firstSeen, s.lastSeen, s.gpus);
  }

  listJobs(): JobSpan[] {
    return (this.jobs.all() as { job: string; first_seen: number; last_seen: number; gpus: number }[]).map((r) => ({
      job: r.job,
      firstSeen: r.first_seen,
      lastSeen: r.last_seen,
      gpus: r.gpus,
    }));
  }
}

/** `inc-12` → 12. */
export function incidentNumber(id: string): number {
  const n = Number(id.replace(/^inc-/, ''));
  return Number.isInteger(n) ? n : 0;
}
