/**
 * The rdma probe: InfiniBand / RoCE port state, rate, error counters and RoCE pause storms,
 * read from /sys/class/infiniband (plus `ethtool -S` for RoCE netdevs) every 15 s.
 */
import { KeelsonError } from '../../core/errors.ts';
import { limitsOf, type MetricSample, type Probe, type ProbeDefaults } from '../types.ts';
import { isPortUp } from './parse.ts';
import { infinibandDevices, readRdma } from './read.ts';
import { type CounterRate, judgeRdma, type RdmaState } from './rules.ts';
import { resolveRdmaSettings } from './settings.ts';

const DEFAULTS: ProbeDefaults = { intervalSec: 15, timeoutMs: 5_000, outputCapBytes: 1024 * 1024 };

/** Metric samples for one run: per-port rate and up (0/1), and counter rates. */
function rdmaMetrics(
  records: {
    device: string;
    port: number;
    rateGbps: number | undefined;
    state: string | undefined;
    physState: string | undefined;
    linkLayer: string | undefined;
  }[],
  rates: CounterRate[],
): MetricSample[] {
  const out: MetricSample[] = [];
  for (const p of records) {
    const labels = { device: p.device, port: String(p.port), link_layer: p.linkLayer ?? 'unknown' };
    out.push({ name: 'ib_port_up', value: isPortUp(p) ? 1 : 0, labels });
    if (p.rateGbps !== undefined) out.push({ name: 'ib_port_rate_gbps', value: p.rateGbps, labels });
  }
  for (const r of rates) {
    out.push({
      name: 'ib_port_counter_rate_per_second',
      value: r.perSec,
      labels: { device: r.device, port: String(r.port), counter: r.counter },
    });
  }
  return out;
}

/** The rdma probe as listed in the registry. */
export const rdmaProbe: Probe<RdmaState> = {
  name: 'rdma',
  defaults: DEFAULTS,
  async isSupported(ctx) {
    const devices = await infinibandDevices(ctx.roots.sys);
    if (devices.length === 0) {
      return { supported: false, reason: `no InfiniBand/RDMA device under ${ctx.roots.sys}/class/infiniband` };
    }
    return { supported: true };
  },
  async run(ctx, previous) {
    const settings = resolveRdmaSettings(ctx.settings);
    const reading = await readRdma(ctx, limitsOf(ctx, DEFAULTS));
    if (reading.records.length === 0) {
      throw new KeelsonError('PROBE_FAILED', `no readable port under ${ctx.roots.sys}/class/infiniband/*/ports`);
    }
    const now = ctx.clock.now();
    const j = judgeRdma(reading.records, previous, now, { ...settings, singleSnapshot: false }, reading.bootId);
    return {
      observations: j.observations,
      metrics: rdmaMetrics(reading.records, j.rates),
      facts: reading.facts,
      state: j.state,
    };
  },
};
