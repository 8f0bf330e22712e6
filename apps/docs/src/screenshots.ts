/**
 * PNG screenshots of the built site in headless Chromium: the home page, a guide, an API page, and the visualiser
 * after its blockSize slider is moved. They show the site as a reader sees it (each kept well under 300 KB by a
 * fixed viewport instead of full-page captures).
 *
 * Usage, after `pnpm run docs`:
 * - `pnpm docs:screenshots` writes them to docs/site/screenshots (ignored by git, next to the site they show), to
 *   look at: taking them never changes a committed file.
 * - `pnpm docs:screenshots:commit` (this script with `--commit`) overwrites the committed ones in docs/screenshots,
 *   for when the site's look changed on purpose; review the PNGs, then commit them.
 * `--out DIR` writes anywhere else. Needs Chromium (`apt-get install chromium`, or CHROMIUM_PATH).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findChromium, launchChromium, serveFolder } from '@db/visualiser/browser';
import { ROOT, SITE_DIR } from './site.js';

/** Where the committed screenshots are (written only with `--commit`). */
export const SCREENSHOT_DIR = path.join(ROOT, 'docs', 'screenshots');
/** Where `pnpm docs:screenshots` writes by default: inside the built site, which git ignores. */
export const SCRATCH_SCREENSHOT_DIR = path.join(SITE_DIR, 'screenshots');

/** The output folder from the command line: `--commit` (docs/screenshots), `--out DIR`, else the scratch folder. */
export function screenshotDir(args: readonly string[]): string {
  const usage = 'usage: docs:screenshots [--commit | --out DIR]';
  let dir = SCRATCH_SCREENSHOT_DIR;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--commit') dir = SCREENSHOT_DIR;
    else if (args[i] === '--out' && args[i + 1] != null) dir = path.resolve(args[++i]);
    else throw new Error(`unknown argument '${args[i]}'; ${usage}`);
  }
  return dir;
}

/** The pages captured: file name, path in the site. */
export const SHOTS = [
  { file: 'home.png', page: 'index.html' },
  { file: 'guide-adding-dropblock.png', page: 'documents/Adding_DropBlock_to_a_model.html' },
  { file: 'api-dropBlock2d.png', page: 'functions/_db_tfjs-layer.dropBlock2d.html' },
] as const;

/** Takes the screenshots; returns the files written with their sizes in bytes. */
export async function takeScreenshots(outDir = SCRATCH_SCREENSHOT_DIR): Promise<{ file: string; bytes: number }[]> {
  const chromium = findChromium();
  if (chromium == null) throw new Error('no Chromium found: apt-get install chromium, or set CHROMIUM_PATH');
  for (const s of SHOTS) {
    if (!fs.existsSync(path.join(SITE_DIR, s.page))) throw new Error(`${s.page} is not in ${SITE_DIR}: build the site first (pnpm run docs)`);
  }
  fs.mkdirSync(outDir, { recursive: true });
  const server = await serveFolder(SITE_DIR);
  const browser = await launchChromium(chromium);
  const written: string[] = [];
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1200, height: 800 });
    for (const s of SHOTS) {
      await page.goto(`${server.url}${s.page}`, { waitUntil: 'networkidle0' });
      await page.screenshot({ path: path.join(outDir, s.file) as `${string}.png` });
      written.push(s.file);
    }
    // The visualiser: wait for its first draw, move the blockSize slider to 7, wait for the redraw.
    await page.setViewport({ width: 1000, height: 760 });
    await page.goto(`${server.url}visualiser/index.html`);
    await page.waitForFunction(() => (globalThis as any).dropBlockVisualiser?.ready || (globalThis as any).dropBlockVisualiser?.error, { timeout: 120_000 });
    const error = await page.evaluate(() => (globalThis as any).dropBlockVisualiser.error);
    if (error) throw new Error(`the visualiser failed in Chromium: ${error}`);
    const draws = () => page.evaluate(() => (globalThis as any).dropBlockVisualiser.draws as number);
    const redraw = async (act: () => Promise<unknown>) => {
      const before = await draws();
      await act();
      await page.waitForFunction((n) => (globalThis as any).dropBlockVisualiser.draws > n, { timeout: 120_000 }, before);
    };
    await redraw(() =>
      page.evaluate(() => {
        const el = document.getElementById('blockSize') as HTMLInputElement;
        el.value = '7';
        el.dispatchEvent(new Event('input'));
      }),
    );
    // With blockSize 7 a 32 x 32 map has about two seeds per mask, so some masks drop nothing: re-sample (at most
    // 20 times) until the one shown drops a block, so the picture shows what DropBlock does.
    for (let i = 0; i < 20 && (await page.evaluate(() => (globalThis as any).dropBlockVisualiser.thisMask)) === 0; i++) {
      await redraw(() => page.click('#resample'));
    }
    await page.screenshot({ path: path.join(outDir, 'visualiser-blocksize-7.png') });
    written.push('visualiser-blocksize-7.png');
  } finally {
    await browser.close();
    await server.close();
  }
  return written.map((file) => ({ file, bytes: fs.statSync(path.join(outDir, file)).size }));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outDir = screenshotDir(process.argv.slice(2));
  for (const { file, bytes } of await takeScreenshots(outDir)) {
    console.log(`${path.relative(ROOT, path.join(outDir, file))}: ${(bytes / 1024).toFixed(0)} KB`);
  }
  if (outDir !== SCREENSHOT_DIR) console.log('(not the committed ones: pnpm docs:screenshots:commit replaces docs/screenshots)');
}
