/**
 * The rdma probe's settings (validated with zod) and the table of expected compute-fabric ports
 * per GPU SKU used when the config names a SKU but no explicit port count or rate.
 */
import { z } from 'zod';
import { KeelsonError } from '../../core/errors.ts';

/** Compute-fabric expectation per GPU SKU: one NIC per GPU (rail-optimised) at this rate. */
export const GPU_SKU_FABRIC: Readonly<Record<string, { ports: number; rateGbps: number }>> = {
  H100: { ports: 8, rateGbps: 400 },
  H200: { ports: 8, rateGbps: 400 },
  H800: { ports: 8, rateGbps: 400 },
  B200: { ports: 8, rateGbps: 400 },
  A100: { ports: 8, rateGbps: 200 },
  A800: { ports: 8, rateGbps: 200 },
};

/** Highest rate each known HCA part can train at (Gb/s), to tell fabric NICs from management NICs when ports are down. */
export const HCA_MAX_RATE_GBPS: Readonly<Record<string, { name: string; maxGbps: number }>> = {
  MT4099: { name: 'ConnectX-3', maxGbps: 56 },
  MT4115: { name: 'ConnectX-4', maxGbps: 100 },
  MT4117: { name: 'ConnectX-4 Lx', maxGbps: 50 },
  MT4119: { name: 'ConnectX-5', maxGbps: 100 },
  MT4121: { name: 'ConnectX-5 Ex', maxGbps: 100 },
  MT4123: { name: 'ConnectX-6', maxGbps: 200 },
  MT4124: { name: 'ConnectX-6 VF', maxGbps: 200 },
  MT4125: { name: 'ConnectX-6 Dx', maxGbps: 200 },
  MT4126: { name: 'ConnectX-6 Dx VF', maxGbps: 200 },
  MT4127: { name: 'ConnectX-6 Lx', maxGbps: 50 },
  MT4129: { name: 'ConnectX-7', maxGbps: 400 },
  MT4131: { name: 'ConnectX-8', maxGbps: 800 },
  MT41686: { name: 'BlueField-2', maxGbps: 200 },
  MT41692: { name: 'BlueField-3', maxGbps: 400 },
};

/** Settings the rules use; every field has a default. */
export interface RdmaSettings {
  /** Ports expected up at `expectedRateGbps` or faster (the compute fabric). */
  expectedPorts?: number;
  expectedRateGbps?: number;
  /** GPU SKU (`H100`, `A100`, ...) whose GPU_SKU_FABRIC row supplies what is not set explicitly. */
  gpuSku?: string;
  /** A port seen down keeps `ib.port.down` active this long after it comes back up. */
  downHoldMs: number;
  /** Window and count for `ib.port.flap` (state transitions plus link_downed increments). */
  flapWindowMs: number;
  flapThreshold: number;
  /** Per-counter overrides of COUNTER_RULES thresholds (per minute). */
  counterThresholds: Record<string, { warnPerMin?: number; degradedPerMin?: number; snapshotWarn?: number }>;
  /** RoCE: fraction of time paused (rx pause duration / elapsed) that is a storm. */
  pfcPausedWarnRatio: number;
  pfcPausedDegradedRatio: number;
  /** RoCE: received pause frames per second that is suspicious on its own. */
  pfcPauseFramesWarnPerSec: number;
  /** Judge counters by absolute value (one snapshot, e.g. `keelson analyze`) rather than as rates. */
  singleSnapshot: boolean;
}

/** Defaults for every tunable. */
export const DEFAULT_RDMA_SETTINGS: RdmaSettings = {
  downHoldMs: 5 * 60_000,
  flapWindowMs: 10 * 60_000,
  flapThreshold: 3,
  counterThresholds: {},
  pfcPausedWarnRatio: 0.2,
  pfcPausedDegradedRatio: 0.5,
  pfcPauseFramesWarnPerSec: 100_000,
  singleSnapshot: false,
};

const schema = z
  .object({
    expectedPorts: z.number().int().min(0).max(64),
    expectedRateGbps: z.number().positive().max(10_000),
    gpuSku: z.string().min(1).max(32),
    downHoldMs: z.number().int().min(0),
    flapWindowMs: z.number().int().positive(),
    flapThreshold: z.number().int().min(1),
    counterThresholds: z.record(
      z.string(),
      z
        .object({
          warnPerMin: z.number().nonnegative(),
          degradedPerMin: z.number().nonnegative(),
          snapshotWarn: z.number().nonnegative(),
        })
        .partial()
        .strict(),
    ),
    pfcPausedWarnRatio: z.number().min(0).max(1),
    pfcPausedDegradedRatio: z.number().min(0).max(1),
    pfcPauseFramesWarnPerSec: z.number().nonnegative(),
    singleSnapshot: z.boolean(),
  })
  .partial()
  .strict();

/** Validate raw probe settings and fill defaults; throws CONFIG_INVALID naming the key. */
export function resolveRdmaSettings(raw: Record<string, unknown> | undefined): RdmaSettings {
  const r = schema.safeParse(raw ?? {});
  if (!r.success) {
    const issue = r.error.issues[0];
    const key = issue?.path.join('.') || '(settings)';
    throw new KeelsonError('CONFIG_INVALID', `probes.rdma.settings.${key}: ${issue?.message ?? 'invalid'}`);
  }
  const out: RdmaSettings = { ...DEFAULT_RDMA_SETTINGS };
  for (const [k, v] of Object.entries(r.data)) if (v !== undefined) (out as unknown as Record<string, unknown>)[k] = v;
  return out;
}

/** The expectation in force: explicit settings first, then the GPU SKU row; undefined when neither says. */
export function expectation(s: RdmaSettings): { ports: number; rateGbps: number } | undefined {
  const sku = s.gpuSku ? GPU_SKU_FABRIC[s.gpuSku.toUpperCase().replace(/[^A-Z0-9]/g, '')] : undefined;
  const ports = s.expectedPorts ?? sku?.ports;
  const rateGbps = s.expectedRateGbps ?? sku?.rateGbps;
  if (ports === undefined || rateGbps === undefined || ports === 0) return undefined;
  return { ports, rateGbps };
}
