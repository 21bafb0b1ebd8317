/**
 * The operator commands as the CLI runs them (`keelson nodes|isolate|release|breaker|audit|
 * approve`): each talks to the collector's authenticated REST API and prints a table, or the
 * raw JSON with `--json`; each returns an exit code (0 done, 1 refused or failed). The CLI
 * entry point passes parsed options and its stdout/stderr writers.
 */

export interface OperatorCliOptions {
  /** Collector base URL, e.g. http://127.0.0.1:7300 */
  url: string;
  token?: string;
  /** Recorded as `operator:<name>` in the audit. */
  operator?: string;
  json?: boolean;
}

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are printed; their shapes are the server's
type Json = Record<string, any>;

async function call(
  o: OperatorCliOptions,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; data: Json }> {
  const res = await fetch(new URL(path, o.url), {
    method,
    headers: {
      ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
      ...(o.operator ? { 'x-keelson-operator': o.operator } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  let data: Json;
  try {
    data = text ? JSON.parse(text) : {};
  } catch {
    data = { error: { code: `HTTP_${res.status}`, message: text.slice(0, 300) } };
  }
  return { status: res.status, data };
}

async function run(
  o: OperatorCliOptions,
  io: CliIo,
  method: string,
  path: string,
  body: unknown,
  human: (d: Json) => string,
): Promise<number> {
  let r: { status: number; data: Json };
  try {
    r = await call(o, method, path, body);
  } catch (err) {
    io.err(`cannot reach the collector at ${o.url}: ${(err as Error).message}\n`);
    return 1;
  }
  if (r.status >= 400) {
    if (o.json) io.out(`${JSON.stringify(r.data)}\n`);
    io.err(`${r.data.error?.code ?? r.status}: ${r.data.error?.message ?? 'request failed'}\n`);
    return 1;
  }
  io.out(o.json ? `${JSON.stringify(r.data, null, 2)}\n` : human(r.data));
  const result = String(r.data.entry?.result ?? 'done');
  return /^(failed|refused|partial)/.test(result) ? 1 : 0;
}

/** Pad columns into a plain text table. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const r of rows) {
    r.forEach((c, i) => {
      widths[i] = Math.max(widths[i] ?? 0, c.length);
    });
  }
  const lines = rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  '));
  return `${lines.join('\n')}\n`;
}

const when = (ms: unknown) => (typeof ms === 'number' ? new Date(ms).toISOString() : '');
const entryLine = (d: Json) => `${d.entry.what} ${d.entry.node ?? ''}: ${d.entry.result}\n`;

export function runNodesCli(o: OperatorCliOptions, io: CliIo): Promise<number> {
  return run(o, io, 'GET', '/api/isolation/nodes', undefined, (d) =>
    table([
      ['NODE', 'STATE', 'HEALTH', 'ISOLATION', 'REASON'],
      ...(d.nodes as Json[]).map((n) => [n.id, n.state, n.health, n.isolation, n.reason ?? '']),
    ]),
  );
}

export function runIsolateCli(o: OperatorCliOptions & { node: string; reason: string }, io: CliIo): Promise<number> {
  return run(o, io, 'POST', `/api/nodes/${encodeURIComponent(o.node)}/isolate`, { reason: o.reason }, entryLine);
}

export function runReleaseCli(o: OperatorCliOptions & { node: string }, io: CliIo): Promise<number> {
  return run(o, io, 'POST', `/api/nodes/${encodeURIComponent(o.node)}/release`, {}, entryLine);
}

export function runBreakerCli(o: OperatorCliOptions & { action: 'status' | 'reset' }, io: CliIo): Promise<number> {
  const human = (d: Json) => {
    const b = d.breaker;
    const head = `breaker ${b.tripped ? 'TRIPPED' : 'closed'} (mode ${b.mode}): ${b.used}/${b.cap} isolations in ${Math.round(
      b.windowMs / 60_000,
    )} min, fleet ${b.fleetSize}${b.trippedWhy ? ` — ${b.trippedWhy}` : ''}\n`;
    const pending = (b.pending as Json[]).map((p) => [p.id, p.node, p.cause, p.reason]);
    return head + (pending.length ? table([['APPROVAL', 'NODE', 'CAUSE', 'REASON'], ...pending]) : '');
  };
  return o.action === 'reset'
    ? run(o, io, 'POST', '/api/breaker/reset', {}, human)
    : run(o, io, 'GET', '/api/breaker', undefined, human);
}

export function runApproveCli(o: OperatorCliOptions & { id: string; reject?: boolean }, io: CliIo): Promise<number> {
  return run(
    o,
    io,
    'POST',
    `/api/approvals/${encodeURIComponent(o.id)}`,
    { decision: o.reject ? 'reject' : 'approve' },
    entryLine,
  );
}

export function runAuditCli(
  o: OperatorCliOptions & { node?: string; kind?: string; since?: number; limit?: number },
  io: CliIo,
): Promise<number> {
  const p = new URLSearchParams();
  if (o.node) p.set('node', o.node);
  if (o.kind) p.set('kind', o.kind);
  if (o.since !== undefined) p.set('since', String(o.since));
  if (o.limit !== undefined) p.set('limit', String(o.limit));
  return run(o, io, 'GET', `/api/audit?${p}`, undefined, (d) =>
    table([
      ['TIME', 'KIND', 'NODE', 'WHAT', 'WHO', 'RESULT', 'WHY'],
      ...(d.entries as Json[]).map((e) => [when(e.ts), e.kind, e.node ?? '', e.what, e.who, e.result, e.why]),
    ]),
  );
}
