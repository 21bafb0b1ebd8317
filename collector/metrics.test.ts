import { describe, expect, it } from 'vitest';
import { silentLogger } from '../core/logger.ts';
import { helloFrom } from '../test/helpers/messages.ts';
import { Fleet } from './fleet.ts';
import { CollectorMetrics } from './metrics.ts';
import { Store } from './store.ts';

const block = (ms: number) => {
  const t = performance.now();
  while (performance.now() - t < ms);
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function gauge(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `) || l.startsWith(`${name}${labels}{`));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

describe('CollectorMetrics', () => {
  it("reports the event loop's longest stall since the previous scrape, then starts over", async () => {
    const store = new Store(':memory:');
    const m = new CollectorMetrics(new Fleet(store, silentLogger()));
    try {
      await sleep(30);
      await m.registry.metrics(); // start a period
      await sleep(20);
      block(80);
      await sleep(30);
      const first = await m.registry.metrics();
      expect(gauge(first, 'keelson_collector_event_loop_delay_max_seconds')).toBeGreaterThanOrEqual(0.06);
      expect(gauge(first, 'keelson_collector_event_loop_delay_max_seconds')).toBeLessThan(0.5);
      await sleep(60);
      const second = await m.registry.metrics();
      expect(gauge(second, 'keelson_collector_event_loop_delay_max_seconds')).toBeLessThan(0.06);
      expect(gauge(second, 'keelson_collector_event_loop_delay_p99_seconds')).toBeLessThan(0.06);
    } finally {
      m.close();
      store.close();
    }
  });

  it('counts active findings by code and severity', async () => {
    const store = new Store(':memory:');
    const fleet = new Fleet(store, silentLogger());
    const m = new CollectorMetrics(fleet);
    try {
      for (const n of ['a', 'b', 'c']) fleet.hello(helloFrom(n), 0);
      for (const n of ['a', 'b']) fleet.disconnected(n, false, 0);
      fleet.tick(10 * 60_000, 60_000); // a and b lost: node.lost, degraded
      const text = await m.registry.metrics();
      expect(gauge(text, 'keelson_findings_active', '{code="node.lost",severity="degraded"}')).toBe(2);
      expect(gauge(text, 'keelson_nodes', '{state="lost",health="degraded"}')).toBe(2);
    } finally {
      m.close();
      store.close();
    }
  });
});
