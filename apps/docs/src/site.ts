/**
 * Builds the docs site into docs/site: typedoc (the API of every package plus the guides of docs/guides, one site,
 * configured by the root typedoc.json) and then the visualiser bundle into docs/site/visualiser, which the
 * visualiser guide links to. Typedoc cleans its output folder, so the visualiser is built after it.
 *
 * Usage: `pnpm run docs` (repository root; plain `pnpm docs` runs npm's docs command instead).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildVisualiser } from '@db/visualiser/build';

/** The repository root. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** Where the site is built (gitignored). */
export const SITE_DIR = path.join(ROOT, 'docs', 'site');

/** Runs typedoc with the root typedoc.json; throws when it fails (warnings are errors there). */
export function runTypedoc(): void {
  const bin = path.join(ROOT, 'node_modules', '.bin', 'typedoc');
  const r = spawnSync(bin, [], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`typedoc failed (exit ${r.status ?? r.signal}); see its messages above`);
}

/** Builds the whole site and returns the number of files in it. */
export async function buildSite(): Promise<number> {
  runTypedoc();
  await buildVisualiser(path.join(SITE_DIR, 'visualiser'));
  return countFiles(SITE_DIR);
}

function countFiles(dir: string): number {
  return fs.readdirSync(dir, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? countFiles(path.join(dir, e.name)) : 1), 0);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const t0 = performance.now();
  const files = await buildSite();
  console.log(`docs site: ${files} files in ${path.relative(ROOT, SITE_DIR)} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}
