// The dashboard's view model: pure functions from API data to what the pages draw (tile
// states, groups, counts, search, keyboard movement, hardware tables, chart series).
// No DOM, no fetch, no clock: tests import this file directly (types in model.d.ts).

/** Tile states, worst first. A node shows the first that applies. */
export const STATES = ['isolated', 'lost', 'fatal', 'degraded', 'warn', 'offline', 'info', 'ok'];

/** How each state is shown: never by colour alone, always a symbol and a word too. */
export const STATE_META = {
  isolated: { label: 'isolated', symbol: '⊘', help: 'taken out of service by the isolation engine' },
  lost: { label: 'lost', symbol: '?', help: 'no contact with the agent' },
  fatal: { label: 'fatal', symbol: '✖', help: 'a fatal finding is active' },
  degraded: { label: 'degraded', symbol: '▲', help: 'a degraded finding is active' },
  warn: { label: 'warning', symbol: '!', help: 'a warning is active' },
  offline: { label: 'offline', symbol: '○', help: 'the agent disconnected cleanly' },
  info: { label: 'info', symbol: 'i', help: 'only informational findings' },
  ok: { label: 'healthy', symbol: '✓', help: 'no active findings' },
};

const SEVERITY_RANK = { info: 0, warn: 1, degraded: 2, fatal: 3 };

/** @param {import('./model.d.ts').Tile} t */
export function tileState(t) {
  if (t.iso === 'isolated') return 'isolated';
  if (t.conn === 'lost') return 'lost';
  if (t.sev === 'fatal' || t.sev === 'degraded' || t.sev === 'warn') return t.sev;
  if (t.conn === 'offline') return 'offline';
  return t.sev === 'info' ? 'info' : 'ok';
}

/** Lower is worse. */
export function stateRank(state) {
  const i = STATES.indexOf(state);
  return i < 0 ? STATES.length : i;
}

/** The severity rank of a finding severity (info 0 … fatal 3), -1 for anything else. */
export function severityRank(sev) {
  return SEVERITY_RANK[sev] ?? -1;
}

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/** Natural order: node2 before node10. */
export function naturalCompare(a, b) {
  return collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}

/** The group a tile belongs to when grouping by `by` ('none', 'state', or a label key). */
export function groupKeyOf(t, by) {
  if (by === 'none') return 'all nodes';
  if (by === 'state') return STATE_META[tileState(t)].label;
  const v = t.labels[by];
  return v === undefined || v === '' ? `(no ${by})` : v;
}

/**
 * Whether a tile passes the search text and the state filter. Terms are separated by spaces
 * and all must match; `key=value` matches a label exactly, anything else is a substring of the
 * id, host name, a label value, the worst finding's code or the state's name.
 */
export function matchesFilter(t, filter) {
  const state = tileState(t);
  if (filter.states && filter.states.size > 0 && !filter.states.has(state)) return false;
  const text = (filter.text ?? '').trim().toLowerCase();
  if (!text) return true;
  for (const term of text.split(/\s+/)) {
    const eq = term.indexOf('=');
    if (eq > 0) {
      const key = term.slice(0, eq);
      const want = term.slice(eq + 1);
      const hit = Object.entries(t.labels).some(([k, v]) => k.toLowerCase() === key && v.toLowerCase() === want);
      if (!hit) return false;
      continue;
    }
    const hay = [t.id, t.host, t.top ?? '', STATE_META[state].label, ...Object.values(t.labels)];
    if (!hay.some((h) => h.toLowerCase().includes(term))) return false;
  }
  return true;
}

/** Counts of tiles per state (every state present, zero included). */
export function countStates(tiles) {
  const counts = Object.fromEntries(STATES.map((s) => [s, 0]));
  for (const t of tiles) counts[tileState(t)] += 1;
  return counts;
}

/** Every label key seen, sorted. */
export function labelKeys(tiles) {
  const keys = new Set();
  for (const t of tiles) for (const k of Object.keys(t.labels)) keys.add(k);
  return [...keys].sort(naturalCompare);
}

function compareTiles(sort) {
  if (sort === 'worst') {
    return (a, b) => stateRank(tileState(a)) - stateRank(tileState(b)) || naturalCompare(a.id, b.id);
  }
  return (a, b) => naturalCompare(a.id, b.id);
}

/**
 * The grid's groups: tiles that pass the filter, grouped by `by`, each group with its counts
 * (over the filtered tiles). Groups holding a worse state come first when sorting 'worst',
 * otherwise in natural order of their names.
 */
export function buildGroups(tiles, view) {
  const byKey = new Map();
  for (const t of tiles) {
    if (!matchesFilter(t, view.filter)) continue;
    const k = groupKeyOf(t, view.by);
    let g = byKey.get(k);
    if (!g) {
      g = { key: k, tiles: [] };
      byKey.set(k, g);
    }
    g.tiles.push(t);
  }
  const cmp = compareTiles(view.sort);
  const groups = [...byKey.values()].map((g) => {
    g.tiles.sort(cmp);
    const counts = countStates(g.tiles);
    const worst = STATES.find((s) => counts[s] > 0) ?? 'ok';
    return { key: g.key, tiles: g.tiles, counts, worst };
  });
  groups.sort((a, b) =>
    view.sort === 'worst'
      ? stateRank(a.worst) - stateRank(b.worst) || naturalCompare(a.key, b.key)
      : naturalCompare(a.key, b.key),
  );
  return groups;
}

/**
 * Apply one /ws/ui message to the tile table (mutated). Returns the ids that changed, and
 * `full` when the whole table was replaced.
 */
export function applyUiMessage(table, msg) {
  if (msg.type === 'snapshot') {
    table.clear();
    for (const t of msg.tiles) table.set(t.id, t);
    return { full: true, changed: msg.tiles.map((t) => t.id) };
  }
  if (msg.type === 'delta') {
    for (const t of msg.upsert) table.set(t.id, t);
    for (const id of msg.remove) table.delete(id);
    return { full: false, changed: [...msg.upsert.map((t) => t.id), ...msg.remove] };
  }
  return { full: false, changed: [] };
}

/**
 * Whether a tile change needs the grid laid out again (the tile moves, appears or vanishes)
 * rather than just redrawn in place.
 */
export function needsRelayout(before, after, view) {
  if (!before || !after) return true;
  if (groupKeyOf(before, view.by) !== groupKeyOf(after, view.by)) return true;
  if (matchesFilter(before, view.filter) !== matchesFilter(after, view.filter)) return true;
  return view.sort === 'worst' && tileState(before) !== tileState(after);
}

/**
 * Keyboard movement in the grid. `layout` lists the groups in order with their first flat
 * index, size and columns; arrows move within a group's rows and across groups at the edges,
 * Home/End go to the first/last tile. Returns the new flat index.
 */
export function moveIndex(layout, index, key) {
  const total = layout.reduce((n, g) => n + g.count, 0);
  if (total === 0) return -1;
  const clamp = (i) => Math.max(0, Math.min(total - 1, i));
  if (key === 'Home') return 0;
  if (key === 'End') return total - 1;
  if (key === 'ArrowLeft') return clamp(index - 1);
  if (key === 'ArrowRight') return clamp(index + 1);
  if (key !== 'ArrowUp' && key !== 'ArrowDown') return index;
  const gi = layout.findIndex((g) => index >= g.start && index < g.start + g.count);
  if (gi < 0) return clamp(index);
  const g = layout[gi];
  const cols = Math.max(1, g.cols);
  const local = index - g.start;
  const col = local % cols;
  if (key === 'ArrowDown') {
    if (local + cols < g.count) return index + cols;
    const lastRowStart = Math.floor((g.count - 1) / cols) * cols;
    if (local < lastRowStart) return g.start + g.count - 1;
    const next = layout[gi + 1];
    return next ? next.start + Math.min(col, next.count - 1) : index;
  }
  if (local - cols >= 0) return index - cols;
  const prev = layout[gi - 1];
  if (!prev) return index;
  const pcols = Math.max(1, prev.cols);
  const lastRow = Math.floor((prev.count - 1) / pcols) * pcols;
  return prev.start + Math.min(lastRow + col, prev.count - 1);
}

/** "12 s", "5 min", "3 h", "2 d" from a duration in ms; "—" for none. */
export function formatAge(ms) {
  if (ms === undefined || ms === null || !Number.isFinite(ms)) return '—';
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 90) return `${m} min`;
  const h = Math.round(m / 60);
  if (h < 36) return `${h} h`;
  return `${Math.round(h / 24)} d`;
}

/** A metric value for people: bytes, ratios, temperatures and rates by the name's suffix. */
export function formatValue(name, v) {
  if (!Number.isFinite(v)) return String(v);
  if (name.endsWith('_bytes')) {
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let x = v;
    let u = 0;
    while (Math.abs(x) >= 1024 && u < units.length - 1) {
      x /= 1024;
      u += 1;
    }
    return `${x >= 100 || u === 0 ? Math.round(x) : x.toFixed(1)} ${units[u]}`;
  }
  if (name.endsWith('_up')) return v === 1 ? '✓ up' : '✖ down';
  if (name.endsWith('_ratio')) return `${(v * 100).toFixed(v < 0.1 ? 1 : 0)} %`;
  if (name.endsWith('_celsius')) return `${Math.round(v)} °C`;
  if (name.endsWith('_watts')) return `${Math.round(v)} W`;
  if (name.endsWith('_gbps')) return `${v} Gb/s`;
  if (name.endsWith('_per_second')) return `${Number(v.toPrecision(3))}/s`;
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
}

/** A column title for a metric column: `temperature_celsius` → `temperature (°C)`. */
export function metricTitle(col) {
  const units = [
    ['_celsius', ' (°C)'],
    ['_watts', ' (W)'],
    ['_gbps', ' (Gb/s)'],
    ['_bytes', ''],
    ['_ratio', ' (%)'],
    ['_per_second', ' (/s)'],
  ];
  let out = col;
  for (const [suffix, unit] of units) {
    const at = out.indexOf(suffix);
    if (at >= 0) out = `${out.slice(0, at)}${unit}${out.slice(at + suffix.length)}`;
  }
  return out.replace(/_total\b/, '').replace(/_/g, ' ');
}

/**
 * A table from samples: rows keyed by the given labels (e.g. gpu, or device+port), one column
 * per metric name (with `stripPrefix` removed, and `splitLabel`'s value appended when a metric
 * is split by another label such as an IB counter name).
 */
export function pivotSamples(samples, spec) {
  const rows = new Map();
  const columns = [];
  for (const s of samples) {
    if (!s.name.startsWith(spec.prefix)) continue;
    const labels = s.labels ?? {};
    if (!spec.rowLabels.every((l) => labels[l] !== undefined)) continue;
    const rowKey = spec.rowLabels.map((l) => labels[l]).join('/');
    let col = s.name.slice(spec.stripPrefix?.length ?? 0);
    if (spec.splitLabel && labels[spec.splitLabel] !== undefined) col = `${col}:${labels[spec.splitLabel]}`;
    if (!columns.includes(col)) columns.push(col);
    let row = rows.get(rowKey);
    if (!row) {
      row = { key: rowKey, values: {}, names: {} };
      rows.set(rowKey, row);
    }
    row.values[col] = s.value;
    row.names[col] = s.name;
  }
  return {
    columns,
    rows: [...rows.values()].sort((a, b) => naturalCompare(a.key, b.key)),
  };
}

/** The hardware tables of the node page, from the latest samples; empty ones are left out. */
export function hardwareTables(samples) {
  const specs = [
    { title: 'GPUs', prefix: 'gpu_', stripPrefix: 'gpu_', rowLabels: ['gpu'] },
    {
      title: 'InfiniBand / RoCE ports',
      prefix: 'ib_port_',
      stripPrefix: 'ib_port_',
      rowLabels: ['device', 'port'],
      splitLabel: 'counter',
    },
    { title: 'NVMe', prefix: 'nvme_', stripPrefix: 'nvme_', rowLabels: ['device'] },
  ];
  return specs
    .map((spec) => ({ title: spec.title, rowLabel: spec.rowLabels.join('/'), ...pivotSamples(samples, spec) }))
    .filter((t) => t.rows.length > 0);
}

/** Facts split into versions (driver, CUDA, OFED, NCCL, firmware) and the rest, each sorted by key. */
export function splitFacts(facts) {
  const versions = [];
  const other = [];
  for (const [k, v] of Object.entries(facts ?? {})) {
    (/version|fw_ver|firmware|^nvme\./i.test(k) ? versions : other).push([k, v]);
  }
  const byKey = (a, b) => naturalCompare(a[0], b[0]);
  return { versions: versions.sort(byKey), other: other.sort(byKey) };
}

/** Active findings worst first, then newest first. */
export function sortFindings(findings) {
  return [...findings].sort(
    (a, b) =>
      severityRank(b.severity) - severityRank(a.severity) || b.lastSeen - a.lastSeen || naturalCompare(a.code, b.code),
  );
}

/** One finding's history (opened/updated/cleared) from /api/finding-events, newest first. */
export function historyOf(events, code, component) {
  return events.filter((e) => e.code === code && e.component === component).sort((a, b) => b.ts - a.ts || b.id - a.id);
}

/**
 * uPlot's data for a job's step times: the shared x axis in seconds, one y array per node
 * (nulls where it did not report), and which series are stragglers (drawn apart).
 */
export function stepTimeSeries(stepTimes, stragglers) {
  const flagged = new Set(stragglers ?? []);
  const series = [...(stepTimes?.series ?? [])].sort(
    (a, b) => Number(flagged.has(b.node)) - Number(flagged.has(a.node)) || naturalCompare(a.node, b.node),
  );
  const x = (stepTimes?.t ?? []).map((ms) => ms / 1000);
  return {
    data: [x, ...series.map((s) => x.map((_, i) => s.values[i] ?? null))],
    labels: series.map((s) => (s.rank === undefined ? s.node : `${s.node} (rank ${s.rank})`)),
    straggler: series.map((s) => flagged.has(s.node)),
  };
}

/** The newest event first, capped. */
export function recentFirst(items, limit = 200) {
  return [...items].sort((a, b) => (b.ts ?? 0) - (a.ts ?? 0)).slice(0, limit);
}

/** Parse the location hash into a route. */
export function parseRoute(hash) {
  const parts = (hash ?? '').replace(/^#\/?/, '').split('/');
  const seg = (i) => {
    try {
      return decodeURIComponent(parts[i] ?? '');
    } catch {
      return '';
    }
  };
  switch (parts[0]) {
    case 'node':
      return seg(1) ? { view: 'node', id: seg(1) } : { view: 'fleet' };
    case 'job':
      return seg(1) ? { view: 'job', id: seg(1) } : { view: 'jobs' };
    case 'jobs':
      return { view: 'jobs' };
    case 'isolation':
      return { view: 'isolation' };
    default:
      return { view: 'fleet' };
  }
}
