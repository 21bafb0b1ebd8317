/**
 * Property tests: no rdma parser throws anything but KeelsonError on arbitrary or mutated
 * real-format input, counter deltas are never negative, and the rules never throw.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { counterDelta } from '../../core/counter.ts';
import { isKeelsonError } from '../../core/errors.ts';
import { SEVERITIES } from '../../core/finding.ts';
import { rdmaAnalyzers } from './analyzers.ts';
import {
  emptyPort,
  type IbPortRecord,
  parseCounterValue,
  parseEthtoolStats,
  parseIbstat,
  parseIbstatus,
  parseSysfsPhysState,
  parseSysfsRate,
  parseSysfsState,
} from './parse.ts';
import { parseIbnetdiscoverPorts, parseIbvDevinfo, parsePerfquery } from './parse-diag.ts';
import { judgeRdma, judgeSysfsValue, type RdmaState } from './rules.ts';
import { DEFAULT_RDMA_SETTINGS } from './settings.ts';
import { infinibandTree, recordsFromTree } from './sysfs.ts';
import { parseTtar } from './ttar.ts';

const FIX = resolve(import.meta.dirname, '../../test/fixtures/rdma');
const fx = (name: string) => readFileSync(resolve(FIX, name), 'utf8');

const PARSERS: [string, (t: string) => unknown, string][] = [
  ['ibstat', parseIbstat, fx('ibstat-h100-mlx5_3-polling.txt')],
  ['ibstat panic', parseIbstat, fx('ibstat-h100-ibpanic-mlx5_2.txt')],
  ['ibstatus', parseIbstatus, fx('ibstatus-h100-init-and-disabled.txt')],
  ['ethtool', parseEthtoolStats, fx('ethtool-S-mlx5-roce-t15-storm.txt')],
  ['perfquery', parsePerfquery, fx('perfquery-x-h100-hca-symbol-errors.txt')],
  ['ibv_devinfo', parseIbvDevinfo, fx('ibv_devinfo-v-h100-mlx5_1-polling.txt')],
  [
    'ibnetdiscover',
    parseIbnetdiscoverPorts,
    "CA   211  1 0xb83fd20300a10040 4x NDR - SW   3 17 0xfc6a1c0300e7b1a0 ( 'a' - 'b' )\nSW 3 18 0xfc6a1c0300e7b1a0 4x ???   'leaf'\n",
  ],
  ['ttar', (t) => recordsFromTree(infinibandTree(parseTtar(t))), fx('sysfs-h100-mlx5_1-polling.ttar')],
  ['sysfs value', judgeSysfsValue, '0: <unknown>\n'],
  ['state', parseSysfsState, '4: ACTIVE\n'],
  ['phys_state', parseSysfsPhysState, '5: LinkUp\n'],
  ['rate', parseSysfsRate, '400 Gb/sec (4X NDR)\n'],
  ['counter', parseCounterValue, '255\n'],
];

function onlyKeelson(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!isKeelsonError(e, 'PARSE_FAILED')) throw e;
  }
}

/** Real-format text, mutated: lines dropped, truncated, characters replaced, lines duplicated. */
function mutated(base: string) {
  const lines = base.split('\n');
  return fc.oneof(
    fc.integer({ min: 0, max: base.length }).map((n) => base.slice(0, n)),
    fc
      .array(fc.integer({ min: 0, max: Math.max(0, lines.length - 1) }), { maxLength: 20 })
      .map((drop) => lines.filter((_, i) => !drop.includes(i)).join('\n')),
    fc
      .array(fc.tuple(fc.integer({ min: 0, max: Math.max(0, base.length - 1) }), fc.string({ maxLength: 3 })), {
        maxLength: 25,
      })
      .map((reps) => {
        let s = base;
        for (const [at, r] of reps) s = s.slice(0, at) + r + s.slice(at + 1);
        return s;
      }),
    fc
      .array(fc.integer({ min: 0, max: Math.max(0, lines.length - 1) }), { maxLength: 10 })
      .map((dup) => lines.flatMap((l, i) => (dup.includes(i) ? [l, l] : [l])).join('\n')),
  );
}

describe('parsers never throw anything but KeelsonError', () => {
  it.each(PARSERS)('%s on arbitrary strings', (_n, parse) => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (s) => onlyKeelson(() => parse(s))),
      { numRuns: 300 },
    );
  });
  it.each(PARSERS)('%s on mutated real-format input', (_n, parse, base) => {
    fc.assert(
      fc.property(mutated(base), (s) => onlyKeelson(() => parse(s))),
      { numRuns: 200 },
    );
  });
  it('every text analyzer, on arbitrary and mutated input', () => {
    const bases = PARSERS.map((p) => p[2]);
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), ...bases.map(mutated)), (s) => {
        for (const a of rdmaAnalyzers) {
          if (a.input !== 'text') continue;
          a.sniff(s);
          onlyKeelson(() => a.analyze(s, 0));
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('counters and rules', () => {
  it('counterDelta is never negative and never exceeds the raw increase', () => {
    fc.assert(
      fc.property(
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 0, max: 10 ** 9 }),
        fc.integer({ min: -1000, max: 10 ** 6 }),
        (a, b, at, dt) => {
          const d = counterDelta({ value: a, at }, { value: b, at: at + dt });
          if (d !== undefined) {
            expect(d).toBeGreaterThanOrEqual(0);
            expect(d).toBe(b - a);
          }
        },
      ),
    );
  });

  const arbPort: fc.Arbitrary<IbPortRecord> = fc
    .record({
      device: fc.constantFrom('mlx5_0', 'mlx5_1', 'mlx5_2', 'mlx5_bond_0'),
      state: fc.constantFrom(undefined, 'ACTIVE', 'DOWN', 'INIT', 'UNKNOWN'),
      physState: fc.constantFrom(undefined, 'LinkUp', 'Polling', 'Disabled', '<unknown>'),
      rateGbps: fc.option(fc.constantFrom(5, 100, 200, 400, 800), { nil: undefined }),
      linkLayer: fc.constantFrom(undefined, 'InfiniBand', 'Ethernet'),
      hcaType: fc.constantFrom(undefined, 'MT4129', 'MT4125'),
      symbol: fc.option(fc.integer({ min: 0, max: 70000 }), { nil: undefined }),
      linkDowned: fc.option(fc.integer({ min: 0, max: 255 }), { nil: undefined }),
      pause: fc.option(fc.nat(), { nil: undefined }),
    })
    .map((r) => {
      const p = emptyPort(r.device, 1);
      Object.assign(p, { state: r.state, physState: r.physState, rateGbps: r.rateGbps, linkLayer: r.linkLayer });
      if (r.hcaType) p.hcaType = r.hcaType;
      p.counters = { symbol_error: r.symbol, link_downed: r.linkDowned };
      if (r.pause !== undefined)
        p.ethtool = { rx_prio3_pause_duration: r.pause, tx_pause_storm_error_events: r.pause % 3 };
      return p;
    });

  it('judgeRdma never throws, keeps severities valid and rates non-negative over any run sequence', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uniqueArray(arbPort, { selector: (p) => p.device, maxLength: 4 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.integer({ min: -20_000, max: 600_000 }), { minLength: 6, maxLength: 6 }),
        fc.constantFrom(undefined, 'H100', 'A100'),
        (runs, steps, gpuSku) => {
          let state: RdmaState | undefined;
          let now = 1_700_000_000_000;
          const s = gpuSku ? { ...DEFAULT_RDMA_SETTINGS, gpuSku } : DEFAULT_RDMA_SETTINGS;
          runs.forEach((recs, i) => {
            now += steps[i] ?? 15_000;
            const j = judgeRdma(recs, state, now, s, 'boot');
            for (const o of j.observations) expect(SEVERITIES).toContain(o.severity);
            for (const r of j.rates) expect(r.perSec).toBeGreaterThanOrEqual(0);
            state = j.state;
          });
        },
      ),
      { numRuns: 200 },
    );
  });
});
