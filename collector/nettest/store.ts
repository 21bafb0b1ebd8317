/**
 * Where campaigns are kept: every round's tests and results, and the verdict. An interface the
 * collector backs with SQLite, and an in-memory implementation for tests and `--simulate`.
 */
import type { BisectVerdict } from './bisect.ts';
import type { TestKind, TestRequest, TestResult } from './types.ts';

/** A campaign as stored and shown. */
export interface CampaignRecord {
  id: string;
  kind: TestKind;
  nodes: string[];
  /** Nodes left out because they ran a job (without force). */
  skipped: string[];
  forced: boolean;
  startedAt: number;
  finishedAt?: number;
  status: 'running' | 'done' | 'aborted';
  verdict?: BisectVerdict;
}

/** One test of one round. */
export interface CampaignTestRecord {
  campaignId: string;
  round: number;
  request: TestRequest;
  result: TestResult;
  at: number;
}

/** Persistence of campaigns; each call is one durable write. */
export interface CampaignStore {
  createCampaign(c: CampaignRecord): Promise<void>;
  recordTest(t: CampaignTestRecord): Promise<void>;
  finishCampaign(id: string, status: 'done' | 'aborted', verdict: BisectVerdict, at: number): Promise<void>;
  getCampaign(id: string): Promise<CampaignRecord | undefined>;
  listTests(campaignId: string): Promise<CampaignTestRecord[]>;
  listCampaigns(): Promise<CampaignRecord[]>;
}

/** A CampaignStore in memory. */
export class InMemoryCampaignStore implements CampaignStore {
  private readonly campaigns = new Map<string, CampaignRecord>();
  private readonly tests: CampaignTestRecord[] = [];

  async createCampaign(c: CampaignRecord): Promise<void> {
    this.campaigns.set(c.id, structuredClone(c));
  }
  async recordTest(t: CampaignTestRecord): Promise<void> {
    this.tests.push(structuredClone(t));
  }
  async finishCampaign(id: string, status: 'done' | 'aborted', verdict: BisectVerdict, at: number): Promise<void> {
    const c = this.campaigns.get(id);
    if (c) this.campaigns.set(id, { ...c, status, verdict: structuredClone(verdict), finishedAt: at });
  }
  async getCampaign(id: string): Promise<CampaignRecord | undefined> {
    const c = this.campaigns.get(id);
    return c ? structuredClone(c) : undefined;
  }
  async listTests(campaignId: string): Promise<CampaignTestRecord[]> {
    return this.tests.filter((t) => t.campaignId === campaignId).map((t) => structuredClone(t));
  }
  async listCampaigns(): Promise<CampaignRecord[]> {
    return [...this.campaigns.values()].map((c) => structuredClone(c));
  }
}
