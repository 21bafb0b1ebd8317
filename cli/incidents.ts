/**
 * `keelson incidents` and `keelson report`: read the collector's incident API (no token
 * needed) and print a table, the raw JSON (`--json`), or the postmortem report as Markdown or
 * plain text. Each takes parsed options and the CLI's writers and returns an exit code:
 * 0 done, 1 the collector could not answer, 2 a bad option.
 */

import { INCIDENT_COLUMNS, incidentRow } from '../collector/incidents/report.ts';
import { parseSince } from '../collector/incidents/since.ts';
import { INCIDENT_STATUSES, type Incident } from '../collector/incidents/types.ts';
import { type CliIo, table } from '../collector/isolation/cli-client.ts';
import { describeError } from '../core/errors.ts';

export interface IncidentsCliOptions {
  /** Collector base URL, e.g. http://127.0.0.1:7300 */
  collector: string;
  /** 7d, 24h, 30m, an ISO date or epoch ms; default: every incident the collector keeps. */
  since?: string;
  /** open | mitigated | recovered | active (= not recovered). */
  status?: string;
  json?: boolean;
  token?: string;
}

export interface ReportCliOptions {
  collector: string;
  /** Default 7d. */
  since?: string;
  /** Default md. */
  format?: string;
  token?: string;
}

const STATUS_FILTERS: readonly string[] = [...INCIDENT_STATUSES, 'active'];

type Answer = { ok: true; status: number; text: string } | { ok: false; message: string };

async function get(o: { collector: string; token?: string }, path: string): Promise<Answer> {
  const url = new URL(path, `${o.collector.replace(/\/$/, '')}/`);
  try {
    const res = await fetch(url, {
      headers: o.token ? { authorization: `Bearer ${o.token}` } : {},
      signal: AbortSignal.timeout(30_000),
    });
    return { ok: true, status: res.status, text: await res.text() };
  } catch (err) {
    return { ok: false, message: `cannot reach the collector at ${o.collector}: ${(err as Error).message}` };
  }
}

/** 0 for a 2xx answer, else prints why and returns 1. */
function failed(a: Answer, io: CliIo, what: string): number {
  if (!a.ok) {
    io.err(`${a.message}\n`);
    return 1;
  }
  if (a.status < 400) return 0;
  let code = `HTTP_${a.status}`;
  let message = a.text.slice(0, 300);
  try {
    const e = JSON.parse(a.text).error;
    code = e?.code ?? code;
    message = e?.message ?? message;
  } catch {
    // not JSON: keep the text
  }
  if (a.status === 404 && code !== 'NOT_FOUND') message = `this collector does not serve ${what}`;
  io.err(`${code}: ${message || 'request failed'}\n`);
  return 1;
}

/** Validate `since` here so a typo fails before any request (the collector reads it again). */
function badSince(since: string | undefined, io: CliIo): boolean {
  if (since === undefined) return false;
  try {
    parseSince(since, Date.now());
    return false;
  } catch (err) {
    io.err(`keelson: ${describeError(err)}\n`);
    return true;
  }
}

/** `keelson incidents [--since …] [--status …] [--json]`. */
export async function incidentsCommand(opts: IncidentsCliOptions, io: CliIo): Promise<number> {
  if (badSince(opts.since, io)) return 2;
  if (opts.status !== undefined && !STATUS_FILTERS.includes(opts.status)) {
    io.err(`keelson: CONFIG_INVALID: --status: expected one of ${STATUS_FILTERS.join(', ')}\n`);
    return 2;
  }
  const q = new URLSearchParams();
  if (opts.since !== undefined) q.set('since', opts.since);
  if (opts.status !== undefined) q.set('status', opts.status);
  const a = await get(opts, `api/incidents${q.size ? `?${q}` : ''}`);
  const rc = failed(a, io, 'incidents');
  if (rc || !a.ok) return rc || 1;
  let incidents: Incident[];
  try {
    incidents = (JSON.parse(a.text) as { incidents: Incident[] }).incidents;
    if (!Array.isArray(incidents)) throw new Error('no incidents array');
  } catch (err) {
    io.err(`the collector answered something other than an incident list: ${(err as Error).message}\n`);
    return 1;
  }
  if (opts.json) {
    io.out(`${JSON.stringify({ incidents }, null, 2)}\n`);
    return 0;
  }
  if (!incidents.length) {
    io.out(`No incidents${opts.since ? ` since ${opts.since}` : ''}${opts.status ? ` (${opts.status})` : ''}.\n`);
    return 0;
  }
  io.out(table([INCIDENT_COLUMNS.map((c) => c.toUpperCase()), ...incidents.map(incidentRow)]));
  return 0;
}

/** `keelson report [--since 7d] [--format md|text]`: the collector's postmortem report. */
export async function reportCommand(opts: ReportCliOptions, io: CliIo): Promise<number> {
  const since = opts.since ?? '7d';
  const format = opts.format ?? 'md';
  if (badSince(since, io)) return 2;
  if (format !== 'md' && format !== 'text') {
    io.err('keelson: CONFIG_INVALID: --format: expected md or text\n');
    return 2;
  }
  const a = await get(opts, `api/incidents/report?${new URLSearchParams({ since, format })}`);
  const rc = failed(a, io, 'incident reports');
  if (rc || !a.ok) return rc || 1;
  io.out(a.text.endsWith('\n') ? a.text : `${a.text}\n`);
  return 0;
}
