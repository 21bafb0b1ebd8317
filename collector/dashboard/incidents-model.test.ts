/** The incident pages' pure view model (static/incidents-model.js) and the timeline's colours. */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  INC_ECC,
  INC_HANG,
  INC_OPEN,
  INC_XID,
  SAMPLE_INCIDENTS,
  SAMPLE_STATS,
} from '../../test/fixtures/incidents/sample.ts';
import { formatDuration as reportDuration } from '../incidents/report.ts';
import { incidentTimes as reportTimes } from '../incidents/stats.ts';
import { INCIDENT_CATEGORIES, INCIDENT_STATUSES, type Incident } from '../incidents/types.ts';
import {
  CATEGORIES,
  CATEGORY_META,
  filterIncidents,
  formatDuration,
  INCIDENT_STATUS_META,
  incidentRoute,
  incidentTimes,
  timelineLayout,
  trendSeries,
} from './static/incidents-model.js';

describe('incident routes', () => {
  it('reads #/incidents and #/incident/<id>, and leaves other hashes alone', () => {
    expect(incidentRoute('#/incidents')).toEqual({ view: 'incidents' });
    expect(incidentRoute('#/incident/inc-7')).toEqual({ view: 'incident', id: 'inc-7' });
    expect(incidentRoute('#/incident/inc%2F7')).toEqual({ view: 'incident', id: 'inc/7' });
    expect(incidentRoute('#/incident/')).toEqual({ view: 'incidents' });
    expect(incidentRoute('#/incident/%zz')).toEqual({ view: 'incidents' });
    for (const other of ['', '#/', '#/jobs', '#/node/x', '#/incidentsx', undefined]) {
      expect(incidentRoute(other), String(other)).toBeUndefined();
    }
  });
});

describe('words and figures', () => {
  it('has a symbol and a word for every status and a word and colour for every category of the contract', () => {
    expect(Object.keys(INCIDENT_STATUS_META).sort()).toEqual([...INCIDENT_STATUSES].sort());
    const symbols = Object.values(INCIDENT_STATUS_META).map((m) => m.symbol);
    expect(new Set(symbols).size).toBe(symbols.length);
    expect(CATEGORIES).toEqual([...INCIDENT_CATEGORIES]);
    const colours = Object.values(CATEGORY_META).map((m) => m.color);
    expect(new Set(colours).size).toBe(colours.length);
  });

  it('formats durations and incident times exactly as the report does', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1000, max: 40 * 86_400_000 }), (ms) => {
        expect(formatDuration(ms)).toBe(reportDuration(ms));
      }),
    );
    for (const i of SAMPLE_INCIDENTS) expect(incidentTimes(i)).toEqual(reportTimes(i));
  });

  it('filters by status (or not recovered) and by category', () => {
    const ids = (f: { status?: string; category?: string }) => filterIncidents(SAMPLE_INCIDENTS, f).map((i) => i.id);
    expect(ids({})).toEqual(['inc-4', 'inc-3', 'inc-2', 'inc-1']);
    expect(ids({ status: 'recovered' })).toEqual(['inc-2', 'inc-1']);
    expect(ids({ status: 'active' })).toEqual(['inc-4', 'inc-3']);
    expect(ids({ category: 'gpu' })).toEqual(['inc-1']);
    expect(ids({ status: 'open', category: 'gpu' })).toEqual([]);
  });
});

describe('timelineLayout', () => {
  it('puts the five moments in order on one axis with the gaps named, recompute after recovery', () => {
    const { moments, gaps } = timelineLayout(INC_XID, INC_XID.timeline.recovered! + 1);
    expect(moments.map((m) => m.label)).toEqual(['first evidence', 'detected', 'identified', 'mitigated', 'recovered']);
    const pos = moments.map((m) => m.pos!);
    expect(pos[0]).toBe(0);
    for (let k = 1; k < pos.length; k++) expect(pos[k]!).toBeGreaterThan(pos[k - 1]!);
    expect(gaps.map((g) => [g.key, g.ms, g.ongoing])).toEqual([
      ['detection', 125_000, false],
      ['identification', 30_000, false],
      ['recovery', 1_080_000, false],
      ['recompute', 300_000, false],
    ]);
    // Gaps tile the axis: each starts where the last ended, the whole is 100 %.
    let at = 0;
    for (const g of gaps) {
      expect(g.start).toBeCloseTo(at, 9);
      expect(g.width).toBeGreaterThanOrEqual(12);
      at += g.width;
    }
    expect(at).toBeCloseTo(100, 9);
    // Moments close their gaps; mitigated lies inside recovery; recompute follows recovered.
    expect(pos[1]).toBeCloseTo(gaps[0]!.width, 9);
    expect(pos[2]).toBeCloseTo(gaps[0]!.width + gaps[1]!.width, 9);
    expect(pos[3]).toBeGreaterThan(gaps[2]!.start);
    expect(pos[4]).toBeCloseTo(gaps[3]!.start, 9);
    // Longer gaps are drawn wider.
    expect(gaps[2]!.width).toBeGreaterThan(gaps[3]!.width);
    expect(gaps[3]!.width).toBeGreaterThan(gaps[0]!.width);
  });

  it('shows the running gap of an open incident as ongoing, up to now', () => {
    const now = INC_OPEN.timeline.detected + 60_000;
    const open = timelineLayout(INC_OPEN, now);
    expect(open.gaps.map((g) => [g.key, g.ms, g.ongoing])).toEqual([
      ['detection', 45_000, false],
      ['identification', 60_000, true],
    ]);
    expect(open.moments.filter((m) => m.at !== undefined).map((m) => m.key)).toEqual(['firstEvidence', 'detected']);
    const mitigated = timelineLayout(INC_ECC, INC_ECC.timeline.mitigated! + 120_000);
    expect(mitigated.gaps.map((g) => [g.key, g.ongoing])).toEqual([
      ['detection', false],
      ['identification', false],
      ['recovery', true],
    ]);
    expect(mitigated.moments.find((m) => m.key === 'recovered')!.pos).toBeUndefined();
  });

  it('keeps moments apart and inside the axis for any timeline', () => {
    const arb = fc
      .record({
        fe: fc.integer({ min: 0, max: 1e9 }),
        d: fc.integer({ min: 0, max: 1e7 }),
        i: fc.option(fc.integer({ min: 0, max: 1e7 }), { nil: undefined }),
        m: fc.option(fc.integer({ min: 0, max: 1e7 }), { nil: undefined }),
        r: fc.option(fc.integer({ min: 0, max: 1e7 }), { nil: undefined }),
        recompute: fc.integer({ min: 0, max: 1e6 }),
      })
      .map(({ fe, d, i, m, r, recompute }): Incident => {
        const detected = fe + d;
        const identified = i === undefined ? undefined : detected + i;
        const base = identified ?? detected;
        const mitigated = m === undefined ? undefined : base + m;
        const recovered = r === undefined ? undefined : (mitigated ?? base) + r;
        return {
          ...INC_HANG,
          timeline: { firstEvidence: fe, detected, identified, mitigated, recovered },
          lost: { ...INC_HANG.lost!, recompute },
        };
      });
    // found by this property in CI: sums of shares put a closing moment at 100.00000000000001
    const edge = timelineLayout(
      {
        ...INC_HANG,
        timeline: { firstEvidence: 0, detected: 9_999_998, recovered: 15_541_216 },
        lost: { ...INC_HANG.lost!, recompute: 0 },
      },
      15_541_216,
    );
    for (const m of edge.moments.filter((x) => x.pos !== undefined)) expect(m.pos!).toBeLessThanOrEqual(100);
    fc.assert(
      fc.property(arb, fc.integer({ min: 0, max: 1e7 }), (inc, later) => {
        const now =
          (inc.timeline.recovered ?? inc.timeline.mitigated ?? inc.timeline.identified ?? inc.timeline.detected) +
          later;
        const { moments, gaps } = timelineLayout(inc, now);
        const placed = moments.filter((m) => m.at !== undefined);
        for (const m of placed) {
          expect(m.pos!).toBeGreaterThanOrEqual(0);
          expect(m.pos!).toBeLessThanOrEqual(100);
        }
        for (let k = 1; k < placed.length; k++) expect(placed[k]!.pos!).toBeGreaterThanOrEqual(placed[k - 1]!.pos!);
        const closing = placed.filter((m) => m.key !== 'mitigated');
        for (let k = 1; k < closing.length; k++)
          expect(closing[k]!.pos! - closing[k - 1]!.pos!).toBeGreaterThanOrEqual(11.99);
        expect(gaps.reduce((s, g) => s + g.width, 0)).toBeCloseTo(100, 6);
      }),
    );
  });
});

describe('trendSeries', () => {
  it('stacks incidents per day by category (top first) and gives MTTR per day in minutes', () => {
    const t = trendSeries(SAMPLE_STATS.trend);
    expect(t.x[0]).toBe(Date.UTC(2026, 0, 1) / 1000);
    expect(t.x).toHaveLength(8);
    expect(t.total).toBe(4);
    // Categories that occur, in reverse contract order so the lowest band paints last.
    expect(t.stacked.categories).toEqual(['unknown', 'network', 'gpu-memory', 'gpu']);
    expect(t.stacked.raw).toEqual([
      [0, 0, 0, 0, 0, 0, 0, 1],
      [0, 0, 0, 0, 0, 1, 0, 0],
      [0, 0, 0, 0, 0, 0, 0, 1],
      [0, 0, 0, 0, 1, 0, 0, 0],
    ]);
    const _ = null;
    expect(t.stacked.data.slice(1)).toEqual([
      [_, _, _, _, _, _, _, 2],
      [_, _, _, _, _, 1, _, _],
      [_, _, _, _, _, _, _, 1],
      [_, _, _, _, 1, _, _, _],
    ]);
    expect(t.mttrMinutes[1]).toEqual([null, null, null, null, 1_235_000 / 60_000, 930_000 / 60_000, null, null]);
  });

  it('copes with no trend at all', () => {
    const t = trendSeries(undefined);
    expect(t).toEqual({ x: [], stacked: { data: [[]], categories: [], raw: [] }, mttrMinutes: [[], []], total: 0 });
  });
});

describe('timeline colours', () => {
  const css = readFileSync(new URL('./static/style.css', import.meta.url), 'utf8');
  const colour = (name: string) => {
    const m = new RegExp(`--${name}:\\s*(#[0-9a-fA-F]{6})\\s*;`).exec(css);
    if (!m) throw new Error(`--${name} missing from style.css`);
    return m[1]!;
  };
  const lum = (hex: string) => {
    const [r, g, b] = [1, 3, 5].map((i) => {
      const c = Number.parseInt(hex.slice(i, i + 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
  };
  const contrast = (a: string, b: string) => {
    const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
    return (hi! + 0.05) / (lo! + 0.05);
  };

  it.each(['detection', 'identification', 'recovery', 'recompute'])(
    'the %s gap label is readable (4.5:1) on its background',
    (g) => {
      expect(contrast(colour('text'), colour(`gap-${g}-bg`))).toBeGreaterThanOrEqual(4.5);
    },
  );
});
