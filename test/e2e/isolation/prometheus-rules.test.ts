/**
 * packaging/prometheus/rules.yml passes `promtool check rules`, its unit tests pass
 * `promtool test rules`, and every keelson_* metric it uses is one the collector registers.
 */

import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { registerIncidentMetrics } from '../../../collector/incidents/metrics.ts';
import { stabilityStats } from '../../../collector/incidents/stats.ts';
import { breakerStatusOf, DEFAULT_BREAKER, initialBreaker } from '../../../collector/isolation/breaker.ts';
import { registerIsolationMetrics } from '../../../collector/isolation/metrics.ts';
import { REPO_ROOT } from '../../helpers/processes.ts';

const exec = promisify(execFile);
const DIR = join(REPO_ROOT, 'packaging/prometheus');
const PROMTOOL = '/usr/bin/promtool';

describe.skipIf(!existsSync(PROMTOOL))('Prometheus rules', () => {
  it('pass promtool check rules', async () => {
    const { stdout } = await exec(PROMTOOL, ['check', 'rules', join(DIR, 'rules.yml')]);
    expect(stdout).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('pass their promtool unit tests', async () => {
    const { stdout } = await exec(PROMTOOL, ['test', 'rules', 'rules.test.yml'], { cwd: DIR });
    expect(stdout).toMatch(/SUCCESS/);
  });

  it('use only metric names the collector exports', async () => {
    const registry = new Registry();
    registerIsolationMetrics(registry, () => ({
      breaker: breakerStatusOf(initialBreaker(), DEFAULT_BREAKER, 1, 0),
      pendingApprovals: 0,
      isolatedNodes: 0,
    }));
    registerIncidentMetrics(
      registry,
      () => stabilityStats([], [], 0, 1),
      () => 1,
    );
    const exported = new Set((await registry.getMetricsAsJSON()).map((m) => m.name));
    // From collector/metrics.ts (the fleet's gauges).
    exported.add('keelson_nodes').add('keelson_findings_active');
    const used = [
      ...readFileSync(join(DIR, 'rules.yml'), 'utf8').matchAll(/\b(keelson_[a-z_]+?)(?:_bucket|_count|_sum)?\b/g),
    ]
      .map((m) => m[1]!)
      .filter((n) => !n.startsWith('keelson_collector'));
    expect(used.length).toBeGreaterThan(5);
    for (const name of used) expect(exported, name).toContain(name);
  });
});
