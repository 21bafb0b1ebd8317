/**
 * The Grafana dashboard: every PromQL expression names only metrics Keelson exports (the
 * registered `keelson_*` names in the code and the probes' samples, which the agent exports as
 * `keelson_<sample>`), each expression parses (promtool, where installed), and the layout is sound.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { REPO_ROOT, tempDir } from '../helpers/processes.ts';

const dashboard = JSON.parse(readFileSync(join(REPO_ROOT, 'packaging/grafana/keelson.json'), 'utf8')) as {
  uid: string;
  panels: Panel[];
  templating: { list: { name: string; query?: unknown }[] };
};

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { h: number; w: number; x: number; y: number };
  datasource?: { uid: string };
  targets?: { expr: string; refId: string }[];
}

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) sourceFiles(p, out);
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const RUNTIME = ['agent', 'collector', 'probes', 'core'].flatMap((d) => sourceFiles(join(REPO_ROOT, d)));

/** Metric names the code registers (`name: 'keelson_…'`) with their prom-client kind. */
function registeredMetrics(): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of RUNTIME) {
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(
      /new (Counter|Gauge|Histogram|Summary)(?:<[^>]*>)?\(\{\s*name: '(keelson_[a-z0-9_]+)'/g,
    )) {
      out.set(m[2] as string, m[1] as string);
    }
  }
  return out;
}

/** Probe sample names (`name: 'gpu_count'`, `add('gpu_temperature_celsius', …)`), exported as keelson_<name>. */
function sampleMetrics(): Set<string> {
  const out = new Set<string>();
  for (const f of RUNTIME.filter((p) => relative(REPO_ROOT, p).startsWith('probes/'))) {
    for (const m of readFileSync(f, 'utf8').matchAll(/(?:name: |add\()'([a-z][a-z0-9]*_[a-z0-9_]+)'/g)) {
      out.add(`keelson_${m[1]}`);
    }
  }
  return out;
}

const panels = dashboard.panels.filter((p) => p.type !== 'row');
const exprs = panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
const registered = registeredMetrics();
const samples = sampleMetrics();

/** The metric a name in PromQL refers to: histogram series carry _bucket/_sum/_count. */
function knownMetric(name: string): boolean {
  if (registered.has(name) || samples.has(name)) return true;
  const base = name.replace(/_(bucket|sum|count)$/, '');
  return base !== name && ['Histogram', 'Summary'].includes(registered.get(base) ?? '');
}

describe('Grafana dashboard', () => {
  it('finds the metrics the code exports (the scan itself works)', () => {
    for (const n of ['keelson_probe_duration_seconds', 'keelson_nodes', 'keelson_collector_frames_total']) {
      expect(registered.has(n), n).toBe(true);
    }
    expect(registered.get('keelson_probe_duration_seconds')).toBe('Histogram');
    expect(samples.has('keelson_gpu_temperature_celsius')).toBe(true);
    expect(knownMetric('keelson_probe_duration_seconds_bucket')).toBe(true);
    expect(knownMetric('keelson_nodes_bucket')).toBe(false);
    expect(knownMetric('keelson_gpu_temprature_celsius')).toBe(false);
  });

  it('every expression references only metrics that exist in the code', () => {
    expect(exprs.length).toBeGreaterThan(20);
    const unknown = exprs.flatMap(({ panel, expr }) =>
      [...expr.matchAll(/\bkeelson_[a-z0-9_]+/g)]
        .map((m) => m[0])
        .filter((n) => !knownMetric(n))
        .map((n) => `${panel}: ${n}`),
    );
    expect(unknown).toEqual([]);
    const variable = dashboard.templating.list.find((v) => v.name === 'instance');
    const query = JSON.stringify(variable?.query);
    for (const n of query.match(/\bkeelson_[a-z0-9_]+/g) ?? []) expect(knownMetric(n), n).toBe(true);
  });

  it('uses every metric the collector registers for the fleet', () => {
    const all = exprs.map((e) => e.expr).join('\n');
    for (const n of [
      'keelson_nodes',
      'keelson_collector_sessions',
      'keelson_collector_frames_total',
      'keelson_probe_up',
    ]) {
      expect(all).toContain(n);
    }
  });

  it.skipIf(spawnSync('promtool', ['--version']).status !== 0)('every expression is valid PromQL (promtool)', () => {
    const dir = tempDir('keelson-grafana-');
    const file = join(dir, 'exprs.yml');
    const rules = exprs.map(({ expr }, i) => ({
      record: `keelson:dashboard_expr_${i}`,
      expr: expr.replace(/\$instance/g, '.*'),
    }));
    writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules }] }));
    const r = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
    expect(`${r.stdout}${r.stderr}`).toMatch(new RegExp(`SUCCESS: ${rules.length} rules found`));
    expect(r.status).toBe(0);
  });

  it('has unique panel ids, fits a 24-column grid, and every query uses the datasource variable', () => {
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dashboard.panels) {
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
    }
    for (const p of panels) {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a template
      expect(p.datasource?.uid, p.title).toBe('${datasource}');
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
    }
    expect(dashboard.uid).toBe('keelson-fleet');
  });
});
