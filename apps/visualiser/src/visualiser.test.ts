/**
 * Opens the built visualiser in headless Chromium, moves the sliders, re-samples, and checks the measured drop
 * fraction against `expectedDropFraction` within a tolerance derived from the number of units sampled.
 * Skipped, with the reason printed, where no Chromium is installed (`apt-get install chromium` on Debian).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { expectedDropFraction } from '@db/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findChromium, launchChromium, serveFolder } from './browser.js';
import { buildVisualiser } from './build.js';
import { SIDE } from './images.js';

const chromium = findChromium();
if (chromium == null) console.log('visualiser browser test skipped: no Chromium found (apt-get install chromium, or set CHROMIUM_PATH)');

interface PageState {
  ready: boolean;
  backend: string;
  blockSize: number;
  keepProb: number;
  expected: number;
  measured: number;
  thisMask: number;
  draws: number;
  error?: string;
}

const readState = (page: Page) => page.evaluate(() => ({ ...(globalThis as any).dropBlockVisualiser })) as Promise<PageState>;

async function waitForDraws(page: Page, atLeast: number): Promise<PageState> {
  await page.waitForFunction((n) => (globalThis as any).dropBlockVisualiser.draws >= n, { timeout: 120_000 }, atLeast);
  return readState(page);
}

describe.skipIf(chromium == null)('the DropBlock visualiser in headless Chromium', () => {
  let browser: Browser;
  let page: Page;
  let server: Awaited<ReturnType<typeof serveFolder>>;
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'db-visualiser-'));

  beforeAll(async () => {
    await buildVisualiser(out);
    server = await serveFolder(out);
    browser = await launchChromium(chromium!);
    page = await browser.newPage();
    await page.setViewport({ width: 1000, height: 760 });
    await page.goto(`${server.url}index.html`);
    await page.waitForFunction(() => (globalThis as any).dropBlockVisualiser.ready || (globalThis as any).dropBlockVisualiser.error, { timeout: 120_000 });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    fs.rmSync(out, { recursive: true, force: true });
  });

  it('starts on the webgl backend (SwiftShader here) and draws a first mask', async () => {
    const s = await readState(page);
    expect(s.error).toBeUndefined();
    expect(s.backend).toBe('webgl');
    expect(s.draws).toBeGreaterThanOrEqual(1);
    expect(s.expected).toBeCloseTo(expectedDropFraction({ keepProb: 0.9, blockSize: 5, height: SIDE, width: SIDE }), 12);
  });

  it('after moving the sliders, the measured drop rate matches the expected one', async () => {
    const setSlider = (id: string, value: string) =>
      page.evaluate(
        (i, v) => {
          const el = document.getElementById(i) as HTMLInputElement;
          el.value = v;
          el.dispatchEvent(new Event('input'));
        },
        id,
        value,
      );
    const before = (await readState(page)).draws;
    await setSlider('blockSize', '7');
    await setSlider('keepProb', '0.8');
    let s = await waitForDraws(page, before + 2);
    expect(s.blockSize).toBe(7);
    expect(s.keepProb).toBeCloseTo(0.8, 12);
    const expected = expectedDropFraction({ keepProb: 0.8, blockSize: 7, height: SIDE, width: SIDE });
    expect(s.expected).toBeCloseTo(expected, 12);
    expect(await page.$eval('#expected', (e) => e.textContent)).toBe(expected.toFixed(4));

    // Five re-samples of 64 maps each. Units of one block are dropped together, so the measured mean has at most
    // about n / blockSize^2 independent trials: sd <= sqrt(E (1 - E) blockSize^2 / n). Allow 4 sd.
    const measured = [s.measured];
    for (let i = 0; i < 4; i++) {
      const n = s.draws;
      await page.click('#resample');
      s = await waitForDraws(page, n + 1);
      measured.push(s.measured);
    }
    const mean = measured.reduce((a, b) => a + b, 0) / measured.length;
    const units = measured.length * 64 * SIDE * SIDE;
    const sd = Math.sqrt((expected * (1 - expected) * 7 * 7) / units);
    expect(Math.abs(mean - expected)).toBeLessThan(4 * sd);
    expect(new Set(measured).size).toBeGreaterThan(1); // each re-sample draws new masks
    expect(s.thisMask).toBeGreaterThan(0);
    expect(s.thisMask).toBeLessThan(1);

    const shot = path.join(process.env.VISUALISER_SCREENSHOT_DIR ?? out, 'visualiser.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(fs.statSync(shot).size).toBeGreaterThan(10_000);
    console.log(`visualiser: backend ${s.backend}, expected ${expected.toFixed(4)}, measured ${mean.toFixed(4)} (5 x 64 maps), screenshot ${shot}`);
  });
});
