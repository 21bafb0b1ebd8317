/**
 * The dashboard stays responsive with 2,000 nodes and 20 changes a second: a real collector,
 * 2,000 simulated agents on real WebSockets, chromium showing the fleet grid. Measured in the
 * page: long tasks (main-thread blocks over 50 ms) and the time from a click to the next paint.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  hasChromium,
  launchBrowser,
  longTasks,
  recordLongTasks,
  screenshot,
  watchPageErrors,
} from '../../helpers/browser.ts';
import { FleetSim, simNodes } from '../../helpers/fleet-sim.ts';
import { getJson, waitFor } from '../../helpers/processes.ts';
import { type DashboardCollector, startDashboardCollector } from './dashboard-collector.ts';

/** The page's document, as the predicates below see it in the browser (no DOM types in this project). */
declare const document: { querySelectorAll(selector: string): { length: number } };

const NODES = 2000;

describe.skipIf(!hasChromium)('dashboard with 2,000 nodes and 20 updates/s', () => {
  let collector: DashboardCollector;
  let sim: FleetSim;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    collector = await startDashboardCollector();
    const t0 = Date.now();
    sim = await FleetSim.start({
      url: collector.wsUrl,
      token: collector.token,
      nodes: simNodes(NODES, { perJob: 128, perRack: 32, gpus: 8 }),
      concurrency: 100,
      heartbeatMs: 5000,
    });
    console.log(`${NODES} simulated agents connected in ${Date.now() - t0} ms`);
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    sim?.stop();
    await collector?.stop();
  });

  it('renders 2,000 tiles, follows a 10 s storm of changes, and answers clicks within 200 ms', async () => {
    const errors = watchPageErrors(page);
    const t0 = Date.now();
    await page.goto(`${collector.url}/`);
    // A function, not a string: the dashboard's CSP forbids eval, which a string predicate needs.
    await page.waitForFunction((n) => document.querySelectorAll('a.tile').length === n, NODES, { timeout: 30_000 });
    const firstRender = Date.now() - t0;
    console.log(`first render of ${NODES} tiles: ${firstRender} ms`);

    await recordLongTasks(page);
    // Click-to-paint: from the click's timestamp until the frame after its handlers ran.
    await page.evaluate(`(() => {
      window.__clicks = [];
      document.addEventListener('click', (e) => {
        const t0 = e.timeStamp;
        requestAnimationFrame(() => setTimeout(() => window.__clicks.push(performance.now() - t0), 0));
      }, true);
    })()`);
    const storm = sim.storm(20, 10_000, 7);
    const chip = page.locator('button.chip[data-state="warn"]');
    for (let i = 0; i < 8; i++) {
      await new Promise((r) => setTimeout(r, 500));
      await chip.click(); // filter to warnings: the grid is rebuilt
      await new Promise((r) => setTimeout(r, 300));
      await chip.click(); // and back to all 2,000
    }
    const sent = await storm;
    await new Promise((r) => setTimeout(r, 1000));

    const clicks = (await page.evaluate('window.__clicks')) as number[];
    const tasks = await longTasks(page);
    const worstClick = Math.max(...clicks);
    const blocked = tasks.reduce((s, t) => s + t.duration, 0);
    const worstTask = Math.max(0, ...tasks.map((t) => t.duration));
    console.log(
      `storm: ${sent} changes; clicks: ${clicks.length}, worst ${worstClick.toFixed(0)} ms, median ${median(clicks).toFixed(0)} ms, p75 ${percentile(clicks, 0.75).toFixed(0)} ms; ` +
        `long tasks: ${tasks.length}, worst ${worstTask.toFixed(0)} ms, total ${blocked.toFixed(0)} ms`,
    );
    expect(sent).toBeGreaterThanOrEqual(180);
    expect(clicks.length).toBe(16);
    // Each measured click refilters and re-lays-out the grid (the heaviest thing a click does).
    // Most answer within 200 ms; on a busy shared 2-core machine one may straggle, never badly.
    expect(percentile(clicks, 0.75)).toBeLessThan(200);
    expect(worstClick).toBeLessThan(400);
    expect(worstTask).toBeLessThan(400);
    expect(blocked).toBeLessThan(2000); // under 20 % of the storm's 10 s, clicks included

    // The grid ends where the collector is: every warned node, and only those, shows a warning.
    const api = await getJson<{ nodes: { id: string; health: string }[] }>(`${collector.url}/api/nodes`);
    const warned = api.nodes
      .filter((n) => n.health === 'warn')
      .map((n) => n.id)
      .sort();
    await waitFor(
      async () => {
        const shown = await page.evaluate<string[]>(
          `[...document.querySelectorAll('a.tile[data-state="warn"]')].map((e) => e.dataset.id).sort()`,
        );
        return JSON.stringify(shown) === JSON.stringify(warned);
      },
      3000,
      'the grid to match the collector',
    );
    expect(warned.length).toBeGreaterThan(0);
    await screenshot(page, 'dashboard', '08-fleet-2000', false);
    expect(errors).toEqual([]);
  }, 120_000);
});

function percentile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * q))] ?? Number.NaN;
}

const median = (xs: number[]) => percentile(xs, 0.5);
