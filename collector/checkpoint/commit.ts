/**
 * The collector's global commit: keep every node's `ckpt-durable` reports per job, decide with
 * the shared pure `decideCommit` when all ranks are present, write the MANIFEST and LATEST on
 * parallel storage (`writeGlobalManifest`: temp → fsync → rename → fsync dir), and hand back
 * the `ckpt-committed` manifest to broadcast to the job's agents.
 */
import { type DurableReport, decideCommit, writeGlobalManifest } from '../../checkpoint-lib/commit.ts';
import type { GlobalManifest } from '../../checkpoint-lib/format.ts';
import type { Clock } from '../../core/clock.ts';

export { type DurableReport, decideCommit, writeGlobalManifest };

export class GlobalCommitter {
  private readonly reports = new Map<string, DurableReport[]>();
  private readonly last = new Map<string, string>();

  /** `dir`: the parallel storage root the collector can write (the agents' `pfs` tier root). */
  constructor(
    private readonly dir: string,
    private readonly clock: Clock,
    private readonly committable?: readonly string[],
  ) {}

  /** Take one report; returns the manifest written when it made a (new) commit. */
  async report(r: DurableReport): Promise<GlobalManifest | undefined> {
    const list = (this.reports.get(r.job) ?? []).filter(
      (x) => !(x.step === r.step && x.tier === r.tier && x.node === r.node),
    );
    list.push(r);
    const keep = new Set([...new Set(list.map((x) => x.step))].sort((a, b) => b - a).slice(0, 4));
    this.reports.set(
      r.job,
      list.filter((x) => keep.has(x.step)),
    );
    const m = decideCommit(this.reports.get(r.job) ?? [], r.world, {
      now: this.clock.now(),
      ...(this.committable ? { committable: this.committable } : {}),
    });
    if (!m) return undefined;
    const key = `${m.step}:${m.tiers.join(',')}`;
    const prev = this.last.get(m.job);
    if (prev === key || (prev !== undefined && Number(prev.split(':')[0]) > m.step)) return undefined;
    await writeGlobalManifest(this.dir, m);
    this.last.set(m.job, key);
    return m;
  }
}
