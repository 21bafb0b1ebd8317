/**
 * The postmortem summary of a window (`keelson report`, `GET /api/incidents/report`): the four
 * stability numbers, goodput per job, where the time went, the failure mix next to Llama 3's
 * published one, and a table of incidents — as Markdown or plain text. Pure: stats, incidents
 * and `now` in, text out. The duration and culprit formats here are shared with the CLI.
 */
import { incidentTimes } from './stats.ts';
import type { Culprit, Incident, IncidentCategory, StabilityStats } from './types.ts';

export type ReportFormat = 'md' | 'text';

export interface ReportOptions {
  format: ReportFormat;
  now: number;
}

/** How each category is written for people. */
export const CATEGORY_LABEL: Record<IncidentCategory, string> = {
  gpu: 'GPU',
  'gpu-memory': 'GPU memory',
  nvlink: 'NVLink',
  network: 'Network',
  storage: 'Storage',
  host: 'Host',
  software: 'Software',
  'user-code': 'User code',
  unknown: 'Unknown',
};

/** The categories Llama 3's report counts as GPU-related (GPU, HBM, NVLink). */
export const GPU_RELATED: readonly IncidentCategory[] = ['gpu', 'gpu-memory', 'nvlink'];

/** Meta's Llama 3 paper: 419 unexpected interruptions in a 54-day run, 58.7 % GPU-related. */
export const LLAMA3 = { days: 54, interruptions: 419, gpuRelatedPct: 58.7 } as const;

/** At most this many incidents are listed; the rest are counted. */
const MAX_ROWS = 500;

const two = (n: number) => String(n).padStart(2, '0');

/** `45s`, `2m 05s`, `1h 12m`, `3d 04h`; `—` when unknown. Rounds to the second. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '—';
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${two(s % 60)}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${two(m % 60)}m`;
  return `${Math.floor(h / 24)}d ${two(h % 24)}h`;
}

/** `2026-01-07 10:00:30Z`; `—` when unknown. */
export function formatUtc(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '—';
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/** `gpu07 gpu:3`, `gpu07`, or `—`. */
export function culpritText(c: Culprit | undefined): string {
  if (!c) return '—';
  return c.component ? `${c.node} ${c.component}` : c.node;
}

/** A share as `58.7 %`; `—` when the whole is 0. */
export function formatPercent(part: number, whole: number): string {
  return whole > 0 ? `${((100 * part) / whole).toFixed(1)} %` : '—';
}

/** `1h 12m (96.0 GPU-h)` once recovered, else `—`. */
export function lostText(i: Incident): string {
  if (!i.lost) return '—';
  return `${formatDuration(i.lost.total)} (${i.lost.gpuHours.toFixed(1)} GPU-h)`;
}

interface Table {
  head: string[];
  rows: string[][];
  /** Columns holding numbers (right-aligned). */
  num?: number[];
}

const mdCell = (c: string) => c.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');

function renderTable(t: Table, format: ReportFormat): string[] {
  const num = new Set(t.num ?? []);
  if (format === 'md') {
    return [
      `| ${t.head.map(mdCell).join(' | ')} |`,
      `|${t.head.map((_, i) => (num.has(i) ? '---:' : '---')).join('|')}|`,
      ...t.rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`),
    ];
  }
  const widths = t.head.map((h, i) => Math.max(h.length, ...t.rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (num.has(i) ? c.padStart(widths[i]!) : i === r.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(t.head), line(widths.map((w) => '-'.repeat(w))), ...t.rows.map(line)];
}

function heading(text: string, level: 1 | 2, format: ReportFormat): string[] {
  if (format === 'md') return [`${'#'.repeat(level)} ${text}`, ''];
  return [text, (level === 1 ? '=' : '-').repeat(text.length), ''];
}

function bullets(items: string[], format: ReportFormat): string[] {
  return items.map((s) => (format === 'md' ? `- ${s}` : `  ${s}`));
}

/** The `n` entries with the lowest MTBF (the least stable), as `name 1d 02h`. */
function worst(mtbf: Record<string, number>, n = 3): string {
  return Object.entries(mtbf)
    .sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, n)
    .map(([k, v]) => `${k} ${formatDuration(v)}`)
    .join(', ');
}

function summary(s: StabilityStats, f: ReportFormat): string[] {
  const items = [`Incidents: ${s.incidents} (${s.open} open)`, `MTBF (fleet): ${formatDuration(s.mtbf.fleet)}`];
  if (Object.keys(s.mtbf.nodes).length) items.push(`Least stable nodes (MTBF): ${worst(s.mtbf.nodes)}`);
  if (Object.keys(s.mtbf.jobs).length) items.push(`Least stable jobs (MTBF): ${worst(s.mtbf.jobs)}`);
  items.push(`MTTD ${formatDuration(s.mttd)} · MTTI ${formatDuration(s.mtti)} · MTTR ${formatDuration(s.mttr)}`);
  return [...heading('Summary', 2, f), ...bullets(items, f), ''];
}

function lostPart(s: StabilityStats, f: ReportFormat): string[] {
  const l = s.lost;
  const row = (name: string, ms: number) => [name, formatDuration(ms), formatPercent(ms, l.total)];
  return [
    ...heading('Lost time (recovered incidents)', 2, f),
    ...renderTable(
      {
        head: ['part', 'time', 'share'],
        rows: [
          row('detection', l.detection),
          row('identification', l.identification),
          row('recovery', l.recovery),
          row('recomputation', l.recompute),
          row('straggler slowdown', l.slowdown),
          row('total', l.total),
        ],
        num: [1, 2],
      },
      f,
    ),
    '',
    `GPU-hours lost: ${l.gpuHours.toFixed(1)}`,
    '',
  ];
}

function goodputPart(s: StabilityStats, f: ReportFormat): string[] {
  const head = heading('Goodput per job', 2, f);
  if (!s.goodput.length) return [...head, 'No job ran in the window.', ''];
  const jobs = [...s.goodput].sort((a, b) => a.goodput - b.goodput || (a.job < b.job ? -1 : 1));
  return [
    ...head,
    ...renderTable(
      {
        head: ['job', 'GPUs', 'wall', 'productive', 'goodput', 'incidents'],
        rows: jobs.map((j) => [
          j.job,
          String(j.gpus),
          formatDuration(j.wall),
          formatDuration(j.productive),
          `${(100 * j.goodput).toFixed(1)} %`,
          String(j.incidents),
        ]),
        num: [1, 2, 3, 4, 5],
      },
      f,
    ),
    '',
  ];
}

function mixPart(s: StabilityStats, f: ReportFormat): string[] {
  const entries = (Object.entries(s.byCategory) as [IncidentCategory, number][]).filter(([, n]) => n > 0);
  const total = entries.reduce((sum, [, n]) => sum + n, 0);
  const gpu = entries.filter(([c]) => GPU_RELATED.includes(c)).reduce((sum, [, n]) => sum + n, 0);
  const head = heading('Failure mix', 2, f);
  const llama = `Llama 3 (${LLAMA3.days}-day run): ${LLAMA3.interruptions} unexpected interruptions, ${LLAMA3.gpuRelatedPct} % GPU-related.`;
  if (total === 0) return [...head, 'No incidents in the window.', `For comparison, ${llama}`, ''];
  entries.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  return [
    ...head,
    ...renderTable(
      {
        head: ['category', 'incidents', 'share'],
        rows: entries.map(([c, n]) => [CATEGORY_LABEL[c], String(n), formatPercent(n, total)]),
        num: [1, 2],
      },
      f,
    ),
    '',
    `GPU-related (GPU + GPU memory + NVLink): ${gpu} of ${total} (${formatPercent(gpu, total)}).`,
    `For comparison, ${llama}`,
    '',
  ];
}

/** The columns of an incident table (the report's and `keelson incidents`'). */
export const INCIDENT_COLUMNS = [
  'id',
  'status',
  'first evidence (UTC)',
  'job',
  'culprit',
  'category',
  'MTTD',
  'MTTI',
  'MTTR',
  'lost',
] as const;

/** One incident as a row of INCIDENT_COLUMNS. */
export function incidentRow(i: Incident): string[] {
  const t = incidentTimes(i);
  return [
    i.id,
    i.status,
    formatUtc(i.timeline.firstEvidence),
    i.job ?? '—',
    culpritText(i.culprit),
    CATEGORY_LABEL[i.category] ?? i.category,
    formatDuration(t.ttd),
    formatDuration(t.tti),
    formatDuration(t.ttr),
    lostText(i),
  ];
}

function incidentsPart(incidents: readonly Incident[], f: ReportFormat): string[] {
  const head = heading('Incidents', 2, f);
  if (!incidents.length) return [...head, 'None.', ''];
  const sorted = [...incidents].sort(
    (a, b) => a.timeline.firstEvidence - b.timeline.firstEvidence || a.id.localeCompare(b.id, 'en', { numeric: true }),
  );
  const shown = sorted.slice(0, MAX_ROWS);
  const rows = shown.map(incidentRow);
  const more = sorted.length - shown.length;
  return [
    ...head,
    ...renderTable(
      {
        head: [...INCIDENT_COLUMNS],
        rows,
        num: [6, 7, 8],
      },
      f,
    ),
    ...(more > 0 ? ['', `… and ${more} more.`] : []),
    '',
  ];
}

const NOTES = [
  'MTTD: first evidence → detected. MTTI: detected → culprit named. MTTR: first evidence → recovered (training progressing again, or the findings cleared).',
  'Lost time: the stall (last good step → recovered, when training stopped) + the steps redone since the restored checkpoint + a straggler’s slowdown. GPU-hours multiply it by the job’s GPUs.',
];

/** The whole report. */
export function renderReport(stats: StabilityStats, incidents: readonly Incident[], opts: ReportOptions): string {
  const f = opts.format;
  const lines = [
    ...heading('Keelson stability report', 1, f),
    `Window: ${formatUtc(stats.since)} → ${formatUtc(stats.until)} (${formatDuration(stats.until - stats.since)}). Generated ${formatUtc(opts.now)}.`,
    '',
    ...summary(stats, f),
    ...lostPart(stats, f),
    ...goodputPart(stats, f),
    ...mixPart(stats, f),
    ...incidentsPart(incidents, f),
    ...(f === 'md' ? NOTES.flatMap((n, i) => [...(i ? [''] : []), `_${n}_`]) : NOTES),
  ];
  return `${lines.join('\n')}\n`;
}
