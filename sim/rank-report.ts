/**
 * What one simulated rank says and saves: the NDJSON line the Python client
 * (`keelson.Client.report`) writes for a step, a synthetic loss curve, and the bytes of the
 * checkpoint shards a rank saves (a pattern fixed by job, rank, step and shard, so a restore
 * can check it got exactly what that rank wrote). Pure.
 */
import type { TrainingPhase } from '../agent/training/types.ts';

/** One report of one rank. */
export interface SimRankReport {
  job: string;
  rank: number;
  world: number;
  node: string;
  step: number;
  /** The rank's clock, epoch ms. */
  ts: number;
  /** Compute time of the step, ms. */
  stepMs?: number;
  loss?: number;
  /** The checkpoint step this rank resumed from (first report after a load only). */
  restoredFrom?: number;
  phase?: TrainingPhase;
}

/** The line as the Python client sends it: same keys, same order, one JSON object and a newline. */
export function rankReportLine(r: SimRankReport): string {
  const rec: Record<string, unknown> = {
    job: r.job,
    rank: r.rank,
    step: r.step,
    ts: r.ts,
    world: r.world,
    node: r.node,
  };
  if (r.loss !== undefined) rec.loss = r.loss;
  if (r.stepMs !== undefined) rec.stepMs = r.stepMs;
  if (r.restoredFrom !== undefined) rec.restoredFrom = r.restoredFrom;
  if (r.phase !== undefined) rec.phase = r.phase;
  return `${JSON.stringify(rec)}\n`;
}

/** FNV-1a over a string: a stable 32-bit seed. */
function seedOf(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** A falling loss with a little rank- and step-dependent noise (never flat, never a spike). */
export function syntheticLoss(step: number, rank: number): number {
  const noise = ((seedOf(`${rank}:${step}`) % 1000) / 1000 - 0.5) * 0.01;
  return Math.round((2 + 8 * Math.exp(-step / 400) + noise) * 1e6) / 1e6;
}

/** The bytes of shard `shard` that `rank` of `job` saves at `step` (xorshift32 from a seed). */
export function shardPattern(job: string, rank: number, step: number, shard: string, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = seedOf(`${job}/${rank}/${step}/${shard}`) || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** The shards one simulated rank saves: a model part and a smaller optimizer part. */
export function rankShards(job: string, rank: number, step: number, modelBytes: number): Record<string, Uint8Array> {
  const optimBytes = Math.max(1, Math.floor(modelBytes / 4));
  return {
    model: shardPattern(job, rank, step, 'model', modelBytes),
    optim: shardPattern(job, rank, step, 'optim', optimBytes),
  };
}
