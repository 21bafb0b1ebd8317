/**
 * Browser tests with playwright-core driving Debian's chromium (never a downloaded browser):
 * launch, screenshots under test-artifacts/ (gitignored), and in-page measurements.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { REPO_ROOT } from './processes.ts';

export const CHROMIUM = process.env.KEELSON_CHROMIUM ?? '/usr/bin/chromium';

/** Whether a browser can be launched here. */
export const hasChromium = existsSync(CHROMIUM);

/** Where screenshots go. */
export const ARTIFACTS_DIR = join(REPO_ROOT, 'test-artifacts');

/** Launch headless chromium with the flags that work in a container. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** Save a full-page screenshot as test-artifacts/<topic>/<name>.png; returns its path. */
export async function screenshot(page: Page, topic: string, name: string, fullPage = true): Promise<string> {
  const dir = join(ARTIFACTS_DIR, topic);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path, fullPage });
  return path;
}

/**
 * Collect page errors and console errors, so a test can assert there were none. Chromium's
 * "Failed to load resource … 404" lines are left out: pages probe optional endpoints on purpose.
 */
export function watchPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !/Failed to load resource.*status of 404/.test(msg.text()))
      errors.push(`console: ${msg.text()}`);
  });
  return errors;
}

/** Start recording long tasks (main-thread blocks over 50 ms) in the page. */
export async function recordLongTasks(page: Page): Promise<void> {
  // A string, because this code runs in the page (DOM types are not in this project's lib).
  await page.evaluate(`(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longTasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask' });
  })()`);
}

/** The long tasks recorded since recordLongTasks. */
export function longTasks(page: Page): Promise<{ start: number; duration: number }[]> {
  return page.evaluate('window.__longTasks');
}
