/** The browser's pure view model (static/model.js): states, groups, counts, search, keys, tables. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyUiMessage,
  buildGroups,
  countStates,
  formatAge,
  formatValue,
  groupKeyOf,
  hardwareTables,
  historyOf,
  type LayoutGroup,
  matchesFilter,
  metricTitle,
  moveIndex,
  naturalCompare,
  needsRelayout,
  parseRoute,
  STATE_META,
  STATES,
  stepTimeSeries,
  type Tile,
  tileState,
} from './static/model.js';

const tile = (p: Partial<Tile> & { id: string }): Tile => ({
  host: `${p.id}.local`,
  conn: 'online',
  sev: null,
  n: 0,
  labels: {},
  lastSeen: 0,
  ...p,
});

describe('tileState', () => {
  it('puts isolated over lost over findings over offline over info over healthy', () => {
    expect(tileState(tile({ id: 'a', iso: 'isolated', conn: 'lost', sev: 'fatal' }))).toBe('isolated');
    expect(tileState(tile({ id: 'a', conn: 'lost', sev: 'fatal' }))).toBe('lost');
    expect(tileState(tile({ id: 'a', sev: 'fatal' }))).toBe('fatal');
    expect(tileState(tile({ id: 'a', sev: 'degraded', conn: 'offline' }))).toBe('degraded');
    expect(tileState(tile({ id: 'a', sev: 'warn' }))).toBe('warn');
    expect(tileState(tile({ id: 'a', sev: 'info', conn: 'offline' }))).toBe('offline');
    expect(tileState(tile({ id: 'a', sev: 'info' }))).toBe('info');
    expect(tileState(tile({ id: 'a' }))).toBe('ok');
    // Pending approval is not isolation yet: the tile shows the finding.
    expect(tileState(tile({ id: 'a', iso: 'pending-approval', sev: 'fatal' }))).toBe('fatal');
  });

  it('gives every state a distinct symbol and word, so colour is never the only cue', () => {
    const symbols = STATES.map((s) => STATE_META[s].symbol);
    const labels = STATES.map((s) => STATE_META[s].label);
    expect(new Set(symbols).size).toBe(STATES.length);
    expect(new Set(labels).size).toBe(STATES.length);
  });
});

describe('grouping, counts and filters', () => {
  const tiles = [
    tile({ id: 'node10', labels: { job: 'b', rack: 'r1' }, sev: 'fatal', top: 'gpu.xid.79' }),
    tile({ id: 'node2', labels: { job: 'a', rack: 'r1' } }),
    tile({ id: 'node1', labels: { job: 'a', rack: 'r2' }, conn: 'lost' }),
    tile({ id: 'node3', labels: { rack: 'r2' }, sev: 'warn', top: 'ib.port.rate' }),
  ];
  const all = { text: '', states: null };

  it('groups by a label, in natural order, with per-group counts and a place for unlabelled nodes', () => {
    const g = buildGroups(tiles, { by: 'job', sort: 'name', filter: all });
    expect(g.map((x) => x.key)).toEqual(['(no job)', 'a', 'b']);
    expect(g[1]!.tiles.map((t) => t.id)).toEqual(['node1', 'node2']);
    expect(g[1]!.counts.lost).toBe(1);
    expect(g[1]!.worst).toBe('lost');
    expect(groupKeyOf(tiles[0]!, 'none')).toBe('all nodes');
    expect(groupKeyOf(tiles[0]!, 'state')).toBe('fatal');
  });

  it('orders worst first when asked, groups and tiles alike', () => {
    const g = buildGroups(tiles, { by: 'rack', sort: 'worst', filter: all });
    expect(g.map((x) => x.key)).toEqual(['r2', 'r1']); // r2 holds a lost node, worse than r1's fatal one
    expect(g[0]!.tiles.map((t) => t.id)).toEqual(['node1', 'node3']);
    expect(g[1]!.tiles.map((t) => t.id)).toEqual(['node10', 'node2']);
    const none = buildGroups(tiles, { by: 'none', sort: 'worst', filter: all });
    expect(none[0]!.tiles.map((t) => t.id)).toEqual(['node1', 'node10', 'node3', 'node2']);
  });

  it('counts every state, zeros included, and the counts add up', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            sev: fc.constantFrom(null, 'info', 'warn', 'degraded', 'fatal'),
            conn: fc.constantFrom('online', 'offline', 'lost'),
            iso: fc.constantFrom(undefined, 'isolated', 'pending-approval'),
          }),
        ),
        (specs) => {
          const ts = specs.map((s, i) => tile({ id: `n${i}`, ...s }) as Tile);
          const c = countStates(ts);
          expect(Object.keys(c).sort()).toEqual([...STATES].sort());
          expect(Object.values(c).reduce((a, b) => a + b, 0)).toBe(ts.length);
          const groups = buildGroups(ts, { by: 'state', sort: 'name', filter: all });
          expect(groups.reduce((n, g) => n + g.tiles.length, 0)).toBe(ts.length);
        },
      ),
    );
  });

  it('searches ids, hosts, labels, finding codes and state names; key=value matches a label exactly', () => {
    const ids = (text: string) => tiles.filter((t) => matchesFilter(t, { text })).map((t) => t.id);
    expect(ids('xid')).toEqual(['node10']);
    expect(ids('NODE1')).toEqual(['node10', 'node1']);
    expect(ids('rack=r2')).toEqual(['node1', 'node3']);
    expect(ids('rack=r')).toEqual([]);
    expect(ids('lost')).toEqual(['node1']);
    expect(ids('r2 warning')).toEqual(['node3']);
    expect(ids('  ')).toHaveLength(4);
    const states = new Set(['fatal', 'lost'] as const);
    expect(tiles.filter((t) => matchesFilter(t, { states })).map((t) => t.id)).toEqual(['node10', 'node1']);
  });

  it('sorts names naturally', () => {
    expect(['n10', 'n2', 'n1'].sort(naturalCompare)).toEqual(['n1', 'n2', 'n10']);
  });
});

describe('live messages', () => {
  it('replaces the table on a snapshot and patches it on a delta', () => {
    const table = new Map<string, Tile>();
    const r1 = applyUiMessage(table, {
      type: 'snapshot',
      seq: 1,
      serverTime: 0,
      tiles: [tile({ id: 'a' }), tile({ id: 'b' })],
    });
    expect(r1).toEqual({ full: true, changed: ['a', 'b'] });
    const r2 = applyUiMessage(table, {
      type: 'delta',
      seq: 2,
      serverTime: 0,
      upsert: [tile({ id: 'a', sev: 'fatal' }), tile({ id: 'c' })],
      remove: ['b'],
    });
    expect(r2).toEqual({ full: false, changed: ['a', 'c', 'b'] });
    expect([...table.keys()].sort()).toEqual(['a', 'c']);
    expect(table.get('a')!.sev).toBe('fatal');
    expect(applyUiMessage(table, { type: 'hello', version: 1, batchMs: 250, serverTime: 0 }).changed).toEqual([]);
  });

  it('redraws in place unless the tile changes group, filter membership, or its place in a worst-first order', () => {
    const a = tile({ id: 'a', labels: { job: 'x' } });
    const fatal = { ...a, sev: 'fatal' as const };
    const view = { by: 'job', sort: 'name' as const, filter: { text: '' } };
    expect(needsRelayout(a, fatal, view)).toBe(false);
    expect(needsRelayout(a, { ...a, labels: { job: 'y' } }, view)).toBe(true);
    expect(needsRelayout(a, fatal, { ...view, filter: { states: new Set(['fatal'] as const) } })).toBe(true);
    expect(needsRelayout(a, fatal, { ...view, sort: 'worst' })).toBe(true);
    expect(needsRelayout(undefined, a, view)).toBe(true);
    expect(needsRelayout(a, undefined, view)).toBe(true);
  });
});

describe('keyboard movement', () => {
  // Two groups: 7 tiles in 3 columns (rows: 0-2, 3-5, 6), then 4 tiles in 3 columns (7-9, 10).
  const layout: LayoutGroup[] = [
    { start: 0, count: 7, cols: 3 },
    { start: 7, count: 4, cols: 3 },
  ];

  it('moves left/right in flat order and up/down by rows', () => {
    expect(moveIndex(layout, 0, 'ArrowRight')).toBe(1);
    expect(moveIndex(layout, 0, 'ArrowLeft')).toBe(0);
    expect(moveIndex(layout, 1, 'ArrowDown')).toBe(4);
    expect(moveIndex(layout, 4, 'ArrowUp')).toBe(1);
    expect(moveIndex(layout, 10, 'ArrowRight')).toBe(10);
    expect(moveIndex(layout, 5, 'Home')).toBe(0);
    expect(moveIndex(layout, 5, 'End')).toBe(10);
    expect(moveIndex(layout, 5, 'x')).toBe(5);
  });

  it('crosses into the next and previous group keeping the column', () => {
    expect(moveIndex(layout, 4, 'ArrowDown')).toBe(6); // short last row: to its last tile
    expect(moveIndex(layout, 6, 'ArrowDown')).toBe(7); // column 0 of the next group
    expect(moveIndex(layout, 8, 'ArrowUp')).toBe(6); // column 1 → last row of the group above has only column 0
    expect(moveIndex(layout, 7, 'ArrowUp')).toBe(6);
    expect(moveIndex(layout, 10, 'ArrowDown')).toBe(10);
    expect(moveIndex(layout, 1, 'ArrowUp')).toBe(1);
    expect(moveIndex([], 0, 'ArrowDown')).toBe(-1);
  });

  it('always lands on a tile', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ count: fc.integer({ min: 1, max: 40 }), cols: fc.integer({ min: 1, max: 12 }) }), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.array(fc.constantFrom('ArrowUp', 'ArrowDown', 'ArrowLeft', 'ArrowRight', 'Home', 'End'), { maxLength: 30 }),
        (groups, keys) => {
          let start = 0;
          const l = groups.map((g) => {
            const x = { start, ...g };
            start += g.count;
            return x;
          });
          let i = 0;
          for (const k of keys) {
            i = moveIndex(l, i, k);
            expect(i).toBeGreaterThanOrEqual(0);
            expect(i).toBeLessThan(start);
          }
        },
      ),
    );
  });
});

describe('node page helpers', () => {
  it('pivots samples into hardware tables by GPU, port and device', () => {
    const t = hardwareTables([
      { name: 'gpu_temperature_celsius', value: 61, labels: { gpu: '1' } },
      { name: 'gpu_temperature_celsius', value: 60, labels: { gpu: '0' } },
      { name: 'gpu_ecc_dbe_volatile_total', value: 2, labels: { gpu: '1' } },
      { name: 'gpu_count', value: 2 },
      { name: 'ib_port_up', value: 0, labels: { device: 'mlx5_0', port: '1' } },
      {
        name: 'ib_port_counter_rate_per_second',
        value: 3,
        labels: { device: 'mlx5_0', port: '1', counter: 'symbol_error' },
      },
      { name: 'host_load1', value: 3 },
    ]);
    expect(t.map((x) => x.title)).toEqual(['GPUs', 'InfiniBand / RoCE ports']);
    expect(t[0]!.rows.map((r) => r.key)).toEqual(['0', '1']);
    expect(t[0]!.columns).toEqual(['temperature_celsius', 'ecc_dbe_volatile_total']);
    expect(t[0]!.rows[1]!.values.ecc_dbe_volatile_total).toBe(2);
    expect(t[1]!.rows[0]!.key).toBe('mlx5_0/1');
    expect(t[1]!.columns).toEqual(['up', 'counter_rate_per_second:symbol_error']);
    expect(metricTitle('temperature_celsius')).toBe('temperature (°C)');
    expect(metricTitle('ecc_dbe_volatile_total')).toBe('ecc dbe volatile');
  });

  it('formats values and ages for people', () => {
    expect(formatValue('gpu_memory_used_bytes', 80 * 1024 ** 3)).toBe('80.0 GiB');
    expect(formatValue('gpu_utilization_ratio', 0.93)).toBe('93 %');
    expect(formatValue('ib_port_up', 0)).toBe('✖ down');
    expect(formatValue('gpu_temperature_celsius', 61.4)).toBe('61 °C');
    expect(formatAge(12_000)).toBe('12 s');
    expect(formatAge(5 * 60_000)).toBe('5 min');
    expect(formatAge(3 * 3_600_000)).toBe('3 h');
    expect(formatAge(undefined)).toBe('—');
  });

  it('picks one finding’s history, newest first', () => {
    const ev = [
      { id: 1, ts: 10, code: 'a', component: 'gpu:0', change: 'opened' },
      { id: 2, ts: 20, code: 'a', component: 'gpu:1', change: 'opened' },
      { id: 3, ts: 30, code: 'a', component: 'gpu:0', change: 'cleared' },
    ];
    expect(historyOf(ev, 'a', 'gpu:0').map((e) => e.id)).toEqual([3, 1]);
  });
});

describe('job charts and routes', () => {
  it('gives uPlot one series per node, stragglers first and marked, nulls where a node is silent', () => {
    const s = stepTimeSeries(
      {
        t: [1000, 2000],
        series: [
          { node: 'n1', values: [100, 110] },
          { node: 'n2', rank: 1, values: [300] },
        ],
      },
      ['n2'],
    );
    expect(s.data).toEqual([
      [1, 2],
      [300, null],
      [100, 110],
    ]);
    expect(s.labels).toEqual(['n2 (rank 1)', 'n1']);
    expect(s.straggler).toEqual([true, false]);
    expect(stepTimeSeries(undefined, undefined).data).toEqual([[]]);
  });

  it('parses hash routes, tolerating junk', () => {
    expect(parseRoute('#/node/gpu%2F01')).toEqual({ view: 'node', id: 'gpu/01' });
    expect(parseRoute('#/job/j1')).toEqual({ view: 'job', id: 'j1' });
    expect(parseRoute('#/job/')).toEqual({ view: 'jobs' });
    expect(parseRoute('#/isolation')).toEqual({ view: 'isolation' });
    expect(parseRoute('#/node/%E0%A4%A')).toEqual({ view: 'fleet' });
    expect(parseRoute('')).toEqual({ view: 'fleet' });
  });
});
