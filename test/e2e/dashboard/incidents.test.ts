/**
 * The incident pages in a real browser (Debian's chromium via playwright-core) against a real
 * collector process whose database was seeded, before it started, with a week of incidents
 * written through IncidentStore (test/fixtures/incidents/sample.ts, moved to end a minute ago):
 * the list shows them with their figures and filters, the stats header and trend charts draw,
 * one incident's timeline shows the five moments in order with the gaps named, and the CLI
 * reads the same API. Screenshots go to test-artifacts/incidents/.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { incidentsCommand, reportCommand } from '../../../cli/incidents.ts';
import { IncidentStore } from '../../../collector/incidents/store.ts';
import type { Incident } from '../../../collector/incidents/types.ts';
import { SAMPLE_INCIDENTS, SAMPLE_NOW } from '../../fixtures/incidents/sample.ts';
import { hasChromium, launchBrowser, screenshot, watchPageErrors } from '../../helpers/browser.ts';
import { type CollectorHandle, startCollector, TEST_TOKEN, tempDir } from '../../helpers/processes.ts';

const TOPIC = 'incidents';
const DAY = 86_400_000;

/** The incident with every time moved by `delta` ms. */
function shifted(i: Incident, delta: number): Incident {
  const s = (t: number | undefined) => (t === undefined ? undefined : t + delta);
  const t = i.timeline;
  return {
    ...i,
    timeline: {
      firstEvidence: t.firstEvidence + delta,
      detected: t.detected + delta,
      ...(t.identified !== undefined ? { identified: s(t.identified) } : {}),
      ...(t.mitigated !== undefined ? { mitigated: s(t.mitigated) } : {}),
      ...(t.recovered !== undefined ? { recovered: s(t.recovered) } : {}),
    },
    ...(i.restartedAt !== undefined ? { restartedAt: s(i.restartedAt) } : {}),
    ...(i.lastGoodStepAt !== undefined ? { lastGoodStepAt: s(i.lastGoodStepAt) } : {}),
    events: i.events.map((e) => ({ ...e, at: e.at + delta })),
  };
}

/** Seed `<dataDir>/keelson.db` as the collector will find it. */
function seed(dataDir: string, now: number): void {
  const db = new Database(join(dataDir, 'keelson.db'));
  db.pragma('journal_mode = WAL');
  const store = new IncidentStore(db);
  const delta = now - 60_000 - SAMPLE_NOW;
  for (const i of SAMPLE_INCIDENTS) store.save(shifted(i, delta));
  store.saveJob({ job: 'llama-70b', firstSeen: now - 10 * DAY, lastSeen: now - 60_000, gpus: 128 });
  store.saveJob({ job: 'bert-large', firstSeen: now - 2 * DAY, lastSeen: now - 60_000, gpus: 64 });
  db.close();
}

describe.skipIf(!hasChromium)('incident pages in a browser', () => {
  let collector: CollectorHandle;
  let browser: Browser;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    const dataDir = tempDir('keelson-incidents-');
    seed(dataDir, Date.now());
    collector = await startCollector({
      dataDir,
      config: { log: { level: 'warn' }, operatorTokens: [TEST_TOKEN] },
    });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    errors = watchPageErrors(page);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await collector?.proc.stop('SIGTERM');
  });

  const rows = () => page.locator('table[aria-label="Incidents"] tbody tr');
  const rowOf = (id: string) => rows().filter({ has: page.locator(`a[data-id="${id}"]`) });

  it('serves the seeded incidents over the API, newest first', async () => {
    const res = await fetch(`${collector.url}/api/incidents`);
    expect(res.status).toBe(200);
    const { incidents } = (await res.json()) as { incidents: Incident[] };
    expect(incidents.map((i) => i.id)).toEqual(['inc-4', 'inc-3', 'inc-2', 'inc-1']);
  });

  it('lists the incidents with status in words, culprit, category and their figures', async () => {
    await page.goto(`${collector.url}/#/incidents`);
    await expect.poll(() => rows().count(), { timeout: 10_000 }).toBe(4);
    expect(await page.locator('header nav a[data-view="incidents"]').getAttribute('aria-current')).toBe('page');
    const cells = async (id: string) => (await rowOf(id).locator('td').allTextContents()).map((t) => t.trim());
    const one = await cells('inc-1');
    expect(one[0]).toBe('✓ recovered');
    expect(one[1]).toContain('inc-1');
    expect(one.slice(2, 5)).toEqual(['GPU', 'llama-70b', 'gpu07 gpu:3']);
    expect(one.slice(6)).toEqual(['2m 05s', '30s', '20m 35s', '25m 35s (54.6 GPU-h)']);
    expect((await cells('inc-4')).slice(0, 1)).toEqual(['✖ open']);
    expect((await cells('inc-3'))[0]).toBe('◐ mitigated');
    expect((await cells('inc-4')).slice(2, 5)).toEqual(['Unknown', '—', '—']);
    await screenshot(page, TOPIC, '01-incident-list');
  });

  it('filters by status and category', async () => {
    await page.locator('#incidents-status').selectOption('recovered');
    await expect.poll(() => rows().count()).toBe(2);
    await page.locator('#incidents-category').selectOption('network');
    await expect.poll(() => rows().count()).toBe(1);
    expect(await rows().first().locator('a[data-id]').textContent()).toBe('inc-2');
    expect(await page.locator('#incidents-count').textContent()).toBe('1 of 4 incidents shown.');
    await page.locator('#incidents-status').selectOption('active');
    await expect.poll(() => page.locator('#incidents-list').textContent()).toContain('No incident matches');
    await page.locator('#incidents-status').selectOption('');
    await page.locator('#incidents-category').selectOption('');
    await expect.poll(() => rows().count()).toBe(4);
  });

  it('shows the stability figures and goodput per job', async () => {
    await expect.poll(() => page.locator('#stat-incidents dd').textContent()).toMatch(/^4/);
    expect(await page.locator('#stat-mttd dd').textContent()).toMatch(/^3m 18s/);
    expect(await page.locator('#stat-mtti dd').textContent()).toMatch(/^1m 03s/);
    expect(await page.locator('#stat-mttr dd').textContent()).toMatch(/^18m 03s/);
    expect(await page.locator('#stat-gpu-share dd').textContent()).toMatch(/^50\.0 %/);
    const goodput = page.locator('table[aria-label="Goodput per job"] tbody tr');
    expect(await goodput.count()).toBe(2);
    expect(await goodput.first().locator('td').first().textContent()).toBe('llama-70b');
  });

  it('keeps each job’s GPUs across the collector restart (stored job spans)', async () => {
    const goodput = page.locator('table[aria-label="Goodput per job"] tbody tr');
    const gpus = await goodput.evaluateAll((trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].slice(0, 2).map((td) => td.textContent)),
    );
    expect(Object.fromEntries(gpus)).toEqual({ 'llama-70b': '128', 'bert-large': '64' });
  });

  it('draws the trend charts with uPlot: incidents per day by category, MTTR per day', async () => {
    const perDay = page.locator('#chart-incidents-per-day');
    await perDay.locator('canvas').waitFor({ timeout: 5000 });
    const legend = (await perDay.locator('.u-legend .u-series .u-label').allTextContents()).slice(1);
    expect(legend.sort()).toEqual(['GPU', 'GPU memory', 'Network', 'Unknown']);
    const inked = (sel: string) =>
      page.evaluate<number>(`(() => {
        const c = document.querySelector('${sel} canvas');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let k = 3; k < d.length; k += 4) if (d[k] > 0) n++;
        return n;
      })()`);
    expect(await inked('#chart-incidents-per-day')).toBeGreaterThan(500);
    await page.locator('#chart-mttr canvas').waitFor({ timeout: 5000 });
    expect(await inked('#chart-mttr')).toBeGreaterThan(100);
    const table = page.locator('table[aria-label="Incidents per day"] tbody tr');
    expect(await table.count()).toBeGreaterThanOrEqual(7);
    await screenshot(page, TOPIC, '02-stats-and-trends');
  });

  it('opens an incident with the keyboard and shows the five moments in order, the gaps named', async () => {
    await page.locator('a[data-id="inc-1"]').focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/#\/incident\/inc-1$/);
    const moments = page.locator('#incident-timeline .tl-moment');
    await expect.poll(() => moments.count(), { timeout: 5000 }).toBe(5);
    const placed = await moments.evaluateAll((els) =>
      els.map((e) => ({
        key: (e as unknown as { dataset: { moment: string } }).dataset.moment,
        label: e.querySelector('strong')?.textContent,
        x: e.getBoundingClientRect().left,
      })),
    );
    placed.sort((a, b) => a.x - b.x);
    expect(placed.map((m) => m.key)).toEqual(['firstEvidence', 'detected', 'identified', 'mitigated', 'recovered']);
    expect(placed.map((m) => m.label)).toEqual(['first evidence', 'detected', 'identified', 'mitigated', 'recovered']);
    for (let k = 1; k < placed.length; k++) expect(placed[k]!.x).toBeGreaterThan(placed[k - 1]!.x);

    const gaps = await page
      .locator('#incident-timeline .tl-gap')
      .evaluateAll((els) => els.map((e) => ({ text: e.textContent, x: e.getBoundingClientRect().left })));
    gaps.sort((a, b) => a.x - b.x);
    expect(gaps.map((g) => g.text)).toEqual([
      'detection 2m 05s',
      'identification 30s',
      'recovery 18m 00s',
      'recompute 5m 00s',
    ]);
    // Recompute comes after the recovered moment.
    expect(gaps[3]!.x).toBeGreaterThanOrEqual(placed[4]!.x - 1);
    const list = (await page.locator('#incident-timeline ol.tl-list li strong').allTextContents()).map((t) => t.trim());
    expect(list).toEqual(['first evidence', 'detected', 'identified', 'mitigated', 'recovered']);
    expect(await page.locator('table[aria-label="Incident events"] tbody tr').count()).toBe(6);
    expect(await page.locator('#incident-facts').textContent()).toContain('step 11800 (committed), had reached 12000');
    await screenshot(page, TOPIC, '03-incident-timeline');
  });

  it('marks the running gap of an open incident, and says when an incident is unknown', async () => {
    await page.goto(`${collector.url}/#/incident/inc-4`);
    await page.locator('#incident-timeline .tl-gap.ongoing').waitFor({ timeout: 5000 });
    expect(await page.locator('#incident-timeline .tl-gap.ongoing').textContent()).toMatch(
      /^identification \(ongoing\) /,
    );
    expect(await page.locator('#incident-timeline .tl-moment').count()).toBe(2);
    expect(await page.locator('#incident-timeline ol.tl-list li').nth(2).textContent()).toBe('identified: not yet');
    await page.goto(`${collector.url}/#/incident/inc-99`);
    await page.locator('#incident-absent').waitFor({ timeout: 5000 });
    expect(await page.locator('#incident-absent').textContent()).toBe(
      'No incident called “inc-99” is known to the collector.',
    );
    expect(errors).toEqual([]);
  });

  it('the CLI reads the same incidents and report from the running collector', async () => {
    let out = '';
    const io = {
      out: (t: string) => {
        out += t;
      },
      err: (t: string) => {
        out += t;
      },
    };
    expect(await incidentsCommand({ collector: collector.url, status: 'recovered' }, io)).toBe(0);
    expect(
      out
        .split('\n')
        .filter((l) => l.startsWith('inc-'))
        .map((l) => l.split(/\s{2,}/)[0]),
    ).toEqual(['inc-2', 'inc-1']);
    out = '';
    expect(await reportCommand({ collector: collector.url, since: '7d', format: 'md' }, io)).toBe(0);
    expect(out).toContain('- Incidents: 4 (2 open)');
    expect(out).toContain('GPU-related (GPU + GPU memory + NVLink): 2 of 4 (50.0 %).');
  });
});
