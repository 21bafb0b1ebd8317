/**
 * The agent's own commit when there is no collector (one node): it gathers its durable reports,
 * runs the same decision the collector runs (decideCommit) and writes MANIFEST, then LATEST, on
 * the commit tier (parallel storage) atomically, mirroring the MANIFEST to the other tiers so a
 * restore can find it when parallel storage is away. With a collector, the collector commits and
 * sends `ckpt-committed`; `recordRemoteCommit` then mirrors it the same way.
 */
import { type DurableReport, decideCommit } from '../../checkpoint-lib/commit.ts';
import type { GlobalManifest } from '../../checkpoint-lib/format.ts';
import { type Clock, systemClock } from '../../core/clock.ts';
import { type Logger, moduleLogger, silentLogger } from '../../core/logger.ts';
import type { Tier } from './tier.ts';

export interface LocalCommitOptions {
  /** Where MANIFEST and LATEST go (parallel storage). */
  commitTier: Tier;
  /** Other tiers that get a copy of the MANIFEST (NVMe). */
  mirrorTiers?: Tier[];
  clock?: Clock;
  logger?: Logger;
  /** Called after a commit is written (journal it, tell the trainer). */
  onCommitted?: (m: GlobalManifest) => Promise<void> | void;
}

export class LocalCommitter {
  private readonly reports = new Map<string, DurableReport[]>();
  private readonly done = new Map<string, { step: number; tiers: string }>();
  private chain: Promise<void> = Promise.resolve();
  private readonly log: Logger;

  constructor(private readonly o: LocalCommitOptions) {
    this.log = moduleLogger(o.logger ?? silentLogger(), 'ckpt-commit');
  }

  /** Feed a durable report; commits when a newer step (or a step on more tiers) is complete. */
  report(r: DurableReport): Promise<void> {
    const list = (this.reports.get(r.job) ?? []).filter(
      (x) => !(x.step === r.step && x.tier === r.tier && x.node === r.node),
    );
    list.push(r);
    // Keep the reports of the few newest steps only.
    const keep = new Set([...new Set(list.map((x) => x.step))].sort((a, b) => b - a).slice(0, 4));
    this.reports.set(
      r.job,
      list.filter((x) => keep.has(x.step)),
    );
    this.chain = this.chain
      .then(() => this.consider(r.job, r.world))
      .catch((err) => this.log.warn({ err }, 'commit failed'));
    return this.chain;
  }

  private async consider(job: string, world: number): Promise<void> {
    const m = decideCommit(this.reports.get(job) ?? [], world, { now: (this.o.clock ?? systemClock).now() });
    if (!m) return;
    const prev = this.done.get(job);
    if (prev && (prev.step > m.step || (prev.step === m.step && prev.tiers === m.tiers.join(',')))) return;
    await this.write(m);
    this.done.set(job, { step: m.step, tiers: m.tiers.join(',') });
    this.log.info({ job, step: m.step, tiers: m.tiers }, 'checkpoint committed');
    await this.o.onCommitted?.(m);
  }

  /** Write a manifest (ours or the collector's): MANIFEST, then LATEST forward only. */
  async write(m: GlobalManifest): Promise<void> {
    for (const t of this.o.mirrorTiers ?? []) await t.writeManifest(m).catch(() => {});
    await this.o.commitTier.writeManifest(m);
    const cur = await this.o.commitTier.readLatest(m.job);
    if (!cur || cur.step <= m.step)
      await this.o.commitTier.writeLatest({ job: m.job, step: m.step, committedAt: m.committedAt });
  }

  /** The collector committed a step: mirror it locally. */
  recordRemoteCommit(m: GlobalManifest): Promise<void> {
    this.chain = this.chain
      .then(() => this.write(m))
      .catch((err) => this.log.warn({ err }, 'mirroring a commit failed'));
    return this.chain;
  }
}
