// The incident pages' view model: pure functions from the incident API's JSON to what the
// pages draw (routes, status and category words, durations, filters, the five-moment timeline,
// trend chart series). No DOM, no fetch, no clock: tests import this file (types in
// incidents-model.d.ts). Durations match collector/incidents/report.ts.

/** Incident statuses as shown: a symbol and a word on a palette class, never colour alone. */
export const INCIDENT_STATUS_META = {
  open: { label: 'open', symbol: '✖', cls: 's-fatal', help: 'still failing' },
  mitigated: { label: 'mitigated', symbol: '◐', cls: 's-warn', help: 'isolated or restarted, not yet progressing' },
  recovered: { label: 'recovered', symbol: '✓', cls: 's-ok', help: 'training progressing again' },
};

/** Categories in the contract's order, with their words and chart colours (Okabe–Ito based). */
export const CATEGORY_META = {
  gpu: { label: 'GPU', color: '#d55e00' },
  'gpu-memory': { label: 'GPU memory', color: '#e69f00' },
  nvlink: { label: 'NVLink', color: '#cc79a7' },
  network: { label: 'Network', color: '#0072b2' },
  storage: { label: 'Storage', color: '#56b4e9' },
  host: { label: 'Host', color: '#009e73' },
  software: { label: 'Software', color: '#f0e442' },
  'user-code': { label: 'User code', color: '#7a5195' },
  unknown: { label: 'Unknown', color: '#8c8c8c' },
};
export const CATEGORIES = Object.keys(CATEGORY_META);

/** The five moments, in order, with their words. */
export const MOMENTS = [
  ['firstEvidence', 'first evidence'],
  ['detected', 'detected'],
  ['identified', 'identified'],
  ['mitigated', 'mitigated'],
  ['recovered', 'recovered'],
];

/** The windows the list page offers, `since` values the API reads. */
export const WINDOWS = [
  ['24h', 'last 24 hours'],
  ['7d', 'last 7 days'],
  ['30d', 'last 30 days'],
  ['365d', 'last year'],
];

/** `#/incidents` and `#/incident/<id>` as routes; undefined for any other hash. */
export function incidentRoute(hash) {
  const parts = (hash ?? '').replace(/^#\/?/, '').split('/');
  if (parts[0] === 'incidents') return { view: 'incidents' };
  if (parts[0] !== 'incident') return undefined;
  let id = '';
  try {
    id = decodeURIComponent(parts[1] ?? '');
  } catch {
    id = '';
  }
  return id ? { view: 'incident', id } : { view: 'incidents' };
}

const two = (n) => String(n).padStart(2, '0');

/** `45s`, `2m 05s`, `1h 12m`, `3d 04h`; `—` when unknown. */
export function formatDuration(ms) {
  if (ms === undefined || ms === null || !Number.isFinite(ms)) return '—';
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${two(s % 60)}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${two(m % 60)}m`;
  return `${Math.floor(h / 24)}d ${two(h % 24)}h`;
}

/**
 * Times to detect (first evidence → detected), identify (detected → identified) and recover
 * (first evidence → recovered), in ms; undefined until the moment is reached.
 */
export function incidentTimes(i) {
  const t = i.timeline ?? {};
  const out = { ttd: Math.max(0, t.detected - t.firstEvidence) };
  if (t.identified !== undefined) out.tti = Math.max(0, t.identified - t.detected);
  if (t.recovered !== undefined) out.ttr = Math.max(0, t.recovered - t.firstEvidence);
  return out;
}

/** `gpu07 gpu:3`, `gpu07`, or `—`. */
export function culpritText(c) {
  if (!c) return '—';
  return c.component ? `${c.node} ${c.component}` : c.node;
}

/** The words for a category (the raw name for one this page does not know). */
export function categoryLabel(c) {
  return CATEGORY_META[c]?.label ?? String(c ?? '—');
}

/** `25m 35s (54.6 GPU-h)` once recovered, else `—`. */
export function lostText(i) {
  if (!i.lost) return '—';
  return `${formatDuration(i.lost.total)} (${Number(i.lost.gpuHours ?? 0).toFixed(1)} GPU-h)`;
}

/**
 * The incidents passing the filters, in the API's order. `status` is '' (all), a status, or
 * 'active' (not recovered); `category` is '' or a category.
 */
export function filterIncidents(incidents, filter) {
  const status = filter?.status ?? '';
  const category = filter?.category ?? '';
  return incidents.filter(
    (i) =>
      (status === '' || (status === 'active' ? i.status !== 'recovered' : i.status === status)) &&
      (category === '' || i.category === category),
  );
}

/** Each drawn gap gets at least this share of the axis, so short gaps keep readable labels. */
const MIN_SHARE = 0.12;

/**
 * The timeline on one horizontal axis: the five moments (pos in % of the axis; none while not
 * reached) and the gaps between them — detection, identification, recovery, then recompute
 * after recovery. A gap still running at `now` is `ongoing`. Widths are proportional to time
 * beyond a minimum share each, so the labels carry the exact durations.
 */
export function timelineLayout(incident, now) {
  const t = incident.timeline ?? {};
  const segs = [];
  const add = (key, label, from, to, ongoing = false) => segs.push({ key, label, from, to, ongoing });
  add('detection', 'detection', t.firstEvidence, t.detected);
  if (t.identified !== undefined) add('identification', 'identification', t.detected, t.identified);
  const recoverFrom = t.identified ?? t.detected;
  if (t.recovered !== undefined) {
    add('recovery', 'recovery', recoverFrom, t.recovered);
    const recompute = incident.lost?.recompute ?? 0;
    if (recompute > 0) add('recompute', 'recompute', t.recovered, t.recovered + recompute);
  } else if (t.identified !== undefined) {
    add('recovery', 'recovery', recoverFrom, Math.max(recoverFrom, now), true);
  } else {
    add('identification', 'identification', t.detected, Math.max(t.detected, now), true);
  }
  const total = segs.reduce((s, g) => s + Math.max(0, g.to - g.from), 0);
  const free = 1 - MIN_SHARE * segs.length;
  let at = 0;
  const gaps = segs.map((g) => {
    const ms = Math.max(0, g.to - g.from);
    const share = MIN_SHARE + free * (total > 0 ? ms / total : 1 / segs.length);
    const gap = { ...g, ms, start: 100 * at, width: 100 * share };
    at += share;
    return gap;
  });
  const posOf = (time) => {
    for (const g of gaps) {
      if (time >= g.from && time <= g.to) {
        const f = g.to > g.from ? (time - g.from) / (g.to - g.from) : 0;
        return Math.min(100, Math.max(0, g.start + f * g.width));
      }
    }
    return time < (gaps[0]?.from ?? 0) ? 0 : 100;
  };
  // Moments that close a gap sit at its end, so a zero-length gap still keeps them apart.
  const endOf = (key) => {
    const g = gaps.find((x) => x.key === key && !x.ongoing);
    return g ? Math.min(100, g.start + g.width) : undefined;
  };
  const closes = { detected: 'detection', identified: 'identification', recovered: 'recovery' };
  const moments = MOMENTS.map(([key, label]) => {
    const time = t[key];
    if (time === undefined) return { key, label };
    return { key, label, at: time, pos: (closes[key] && endOf(closes[key])) ?? posOf(time) };
  });
  return { moments, gaps };
}

/**
 * uPlot data for incidents per day stacked by category: x in seconds (UTC midnight), one
 * cumulative series per category that occurs (drawn top first so lower ones paint over; null
 * on days without that category), the raw counts for the legend, and the MTTR per day in
 * minutes (null on days without one).
 */
export function trendSeries(trend) {
  const days = trend ?? [];
  const x = days.map((d) => Date.parse(`${d.day}T00:00:00Z`) / 1000);
  const present = CATEGORIES.filter((c) => days.some((d) => (d.byCategory?.[c] ?? 0) > 0));
  const raw = present.map((c) => days.map((d) => d.byCategory?.[c] ?? 0));
  const running = days.map(() => 0);
  // null where a category has none that day, so no zero-height bar is drawn over the axis.
  const cumulative = raw.map((counts) =>
    counts.map((n, i) => {
      running[i] += n;
      return n > 0 ? running[i] : null;
    }),
  );
  const order = present.map((_, i) => present.length - 1 - i);
  return {
    x,
    stacked: {
      data: [x, ...order.map((i) => cumulative[i])],
      categories: order.map((i) => present[i]),
      raw: order.map((i) => raw[i]),
    },
    mttrMinutes: [x, days.map((d) => (d.mttr === undefined || d.mttr === null ? null : d.mttr / 60_000))],
    total: days.reduce((s, d) => s + (d.incidents ?? 0), 0),
  };
}

/** Goodput as `99.6 %`. */
export function formatGoodput(g) {
  return Number.isFinite(g) ? `${(100 * g).toFixed(1)} %` : '—';
}
