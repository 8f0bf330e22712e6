/**
 * Runs every ts/js code example of the docs (READMEs and guides) as a standalone ES module in its own process, so
 * an example that no longer runs fails the tests with its file, line and error. See extract.ts for the markers
 * that skip a block (not-run) or make it depend on the data directory (needs-data).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { findDocFiles, importedPackages, installedPackages } from './docs.js';
import { extractExamples, type CodeExample } from './extract.js';
import { killRunningExamples, runExample } from './run-example.js';
import { typecheckExamples } from './typecheck-examples.js';

const APP = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ROOT = resolve(APP, '../..');
const DATA_DIR = process.env.DB_DATA_DIR ? resolve(process.env.DB_DATA_DIR) : resolve(ROOT, '../shared/datasets');
/** Per block: a cold tsx + tfjs + wasm start is a few seconds; the examples train on a few images for one epoch. */
const BLOCK_TIMEOUT_MS = 100_000;
/** Lines of a failed block's output shown in the failure. */
const OUTPUT_LINES = 40;

const files = findDocFiles(ROOT);
const docs = files.map((file) => {
  const markdown = readFileSync(join(ROOT, file), 'utf8');
  return { file, markdown, examples: extractExamples(markdown, file) };
});

interface Outcome {
  file: string;
  line: number;
  status: 'passed' | 'failed' | 'skipped';
  reason?: string;
  ms?: number;
}
const outcomes: Outcome[] = [];

/** Why a block does not run here, or null when it runs. */
function skipReason(example: CodeExample): string | null {
  if (example.mode.kind === 'not-run') return `not-run: ${example.mode.reason}`;
  if (example.mode.kind === 'needs-data') {
    const missing = example.mode.paths.filter((p) => !existsSync(join(DATA_DIR, p)));
    if (missing.length > 0) {
      const why = example.mode.reason ? ` (${example.mode.reason})` : '';
      return `needs-data: ${missing.join(', ')} not in ${DATA_DIR}${why}; set DB_DATA_DIR to a folder that has it`;
    }
  }
  return null;
}

describe('docs examples', () => {
  it('finds the README of the root and of every package', () => {
    expect(files).toContain('README.md');
    for (const pkg of ['core', 'tfjs-layer', 'schedule', 'backend', 'models', 'datasets']) {
      expect(files).toContain(`packages/${pkg}/README.md`);
    }
    expect(docs.reduce((n, d) => n + d.examples.length, 0)).toBeGreaterThan(0);
  });

  // A package README's examples import only what its Install section (or a `pnpm add` in its text) installs:
  // under pnpm's strict node_modules anything else is not resolvable in the reader's project.
  for (const { file, markdown, examples } of docs.filter((d) => d.file.startsWith('packages/'))) {
    const self = JSON.parse(readFileSync(join(ROOT, dirname(file), 'package.json'), 'utf8')).name as string;
    const installed = installedPackages(markdown);
    if (installed.length === 0) continue;
    it(`${file}: its examples import only packages it says to install`, () => {
      const missing = examples.flatMap((e) =>
        importedPackages(e.code)
          .filter((name) => name !== self && !installed.includes(name))
          .map((name) => `${file}:${e.fenceLine} imports ${name}, which no install command in ${file} installs`),
      );
      expect(missing).toEqual([]);
    });
  }

  // Every TypeScript block but the not-run ones, including those skipped here for want of data.
  const typed = docs.flatMap(({ file, examples }) =>
    examples.filter((e) => e.language === 'ts' && e.mode.kind !== 'not-run').map((example) => ({ file, example })),
  );
  it.concurrent(`the ${typed.length} TypeScript examples type-check (tsc, strict)`, { timeout: BLOCK_TIMEOUT_MS }, async () => {
    const { code, output } = await typecheckExamples(typed);
    if (code !== 0) throw new Error(`tsc found errors in the examples (exit code ${code}):\n${output.trim()}`);
  });

  for (const { file, examples } of docs) {
    for (const example of examples) {
      const title = `${file}:${example.fenceLine} (${example.language})`;
      const reason = skipReason(example);
      if (reason) {
        outcomes.push({ file, line: example.fenceLine, status: 'skipped', reason });
        it.skip(`${title}: ${reason}`, () => {});
        continue;
      }
      it.concurrent(title, { timeout: BLOCK_TIMEOUT_MS + 30_000 }, async () => {
        const start = performance.now();
        const { code, signal, output } = await runExample(file, example, { dataDir: DATA_DIR, timeoutMs: BLOCK_TIMEOUT_MS });
        const ms = performance.now() - start;
        const ok = code === 0;
        outcomes.push({ file, line: example.fenceLine, status: ok ? 'passed' : 'failed', ms });
        if (!ok) {
          const tail = output.trimEnd().split('\n').slice(-OUTPUT_LINES).join('\n');
          throw new Error(`${file}:${example.fenceLine}: the ${example.language} example exited with ${signal ?? `code ${code}`}\n${tail}`);
        }
      });
    }
  }

  afterAll(() => {
    killRunningExamples();
    const lines = files.map((file) => {
      const mine = outcomes.filter((o) => o.file === file);
      const count = (status: Outcome['status']) => mine.filter((o) => o.status === status).length;
      const seconds = mine.reduce((s, o) => s + (o.ms ?? 0), 0) / 1000;
      return `  ${file}: ${count('passed')} passed, ${count('failed')} failed, ${count('skipped')} skipped (${seconds.toFixed(1)} s)`;
    });
    const skipped = outcomes.filter((o) => o.status === 'skipped').map((o) => `  skipped ${o.file}:${o.line}: ${o.reason}`);
    console.log(['docs examples, per file:', ...lines, ...skipped].join('\n'));
  });
});
