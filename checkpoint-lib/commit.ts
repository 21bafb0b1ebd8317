/**
 * The global commit: a pure decision over "durable on tier T" reports from every node
 * (`decideCommit`), and the thin shell that writes the step's MANIFEST and then the LATEST
 * pointer atomically on parallel storage (`writeGlobalManifest`). Used by the collector and, with
 * no collector (one node), by the agent itself. A step is committed only when every rank
 * 0..world-1 is durable on one same tier; nothing partial is ever written as MANIFEST.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { writeFileAtomic } from './atomic-file.ts';
import {
  type GlobalManifest,
  globalManifestSchema,
  latestPointerSchema,
  MANIFEST_FORMAT,
  type NodeManifest,
  parseJsonAs,
  TIER_NAMES,
  tierPaths,
} from './format.ts';

/** One node's "these ranks of step S are durable on tier T" (a node manifest's content). */
export type DurableReport = Pick<NodeManifest, 'job' | 'step' | 'node' | 'tier' | 'world' | 'ranks'>;

/** Tiers a commit may rest on by default: memory alone is not durable; a peer replica is. */
export const COMMITTABLE_TIERS = ['peer', 'nvme', 'pfs'];

function tierOrder(t: string): number {
  const i = (TIER_NAMES as readonly string[]).indexOf(t);
  return i < 0 ? TIER_NAMES.length : i;
}

/**
 * The newest step every rank of `0..expectedRanks-1` holds on one committable tier, as the
 * manifest to write, or undefined. `tiers` lists every tier complete for that step, fastest first.
 */
export function decideCommit(
  reports: readonly DurableReport[],
  expectedRanks: number,
  opts: { committable?: readonly string[]; now?: number } = {},
): GlobalManifest | undefined {
  const committable = new Set(opts.committable ?? COMMITTABLE_TIERS);
  const steps = [...new Set(reports.map((r) => r.step))].sort((a, b) => b - a);
  for (const step of steps) {
    const forStep = reports.filter((r) => r.step === step);
    const byTier = new Map<string, Map<number, { node: string; copy: DurableReport['ranks'][number] }>>();
    for (const r of forStep) {
      const m = byTier.get(r.tier) ?? new Map();
      for (const c of r.ranks) if (c.rank < expectedRanks) m.set(c.rank, { node: r.node, copy: c });
      byTier.set(r.tier, m);
    }
    const complete = [...byTier.entries()]
      .filter(([, m]) => m.size === expectedRanks)
      .map(([t]) => t)
      .sort((a, b) => tierOrder(a) - tierOrder(b));
    if (!complete.some((t) => committable.has(t))) continue;
    const best = byTier.get(complete.find((t) => committable.has(t)) as string)!;
    const first = forStep[0]!;
    return {
      format: MANIFEST_FORMAT,
      job: first.job,
      step,
      world: expectedRanks,
      tiers: complete,
      ranks: [...best.values()].sort((a, b) => a.copy.rank - b.copy.rank).map((v) => ({ ...v.copy, node: v.node })),
      committedAt: opts.now ?? 0,
    };
  }
  return undefined;
}

/**
 * Write `<dir>/<job>/step-N/MANIFEST.json` (temp, fsync, rename, fsync dir), then move LATEST
 * forward to it — never backward. Returns whether LATEST now names this step.
 */
export async function writeGlobalManifest(dir: string, manifest: GlobalManifest): Promise<boolean> {
  const m = globalManifestSchema.parse(manifest);
  await mkdir(tierPaths.step(dir, m.job, m.step), { recursive: true });
  await writeFileAtomic(tierPaths.manifest(dir, m.job, m.step), JSON.stringify(m));
  let current: number | undefined;
  try {
    current = parseJsonAs(latestPointerSchema, await readFile(tierPaths.latest(dir, m.job), 'utf8'))?.step;
  } catch {}
  if (current !== undefined && current > m.step) return false;
  await writeFileAtomic(
    tierPaths.latest(dir, m.job),
    JSON.stringify({ job: m.job, step: m.step, committedAt: m.committedAt }),
  );
  return true;
}
