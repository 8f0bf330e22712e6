/**
 * Runs every ts/js code example of the docs (READMEs and guides) as a standalone ES module in its own process, so
 * an example that no longer runs fails the tests with its file, line and error. See extract.ts for the markers
 * that skip a block (not-run) or make it depend on the data directory (needs-data).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { findDocFiles, importedPackages, installedPackages } from './docs.js';
import { extractExamples, type CodeExample } from './extract.js';

const APP = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ROOT = resolve(APP, '../..');
// tsx's loader in this process's node (not tsx's CLI, which runs the module in a grandchild that a kill misses).
const TSX_LOADER = pathToFileURL(createRequire(join(APP, 'package.json')).resolve('tsx')).href;
// Generated modules live inside the app, so `@db/*` and `@tensorflow/*` resolve through its node_modules.
const GENERATED = join(APP, '.examples');
const DATA_DIR = process.env.DB_DATA_DIR ? resolve(process.env.DB_DATA_DIR) : resolve(ROOT, '../shared/datasets');
/** Per block: a cold tsx + tfjs + wasm start is a few seconds; the examples train on a few images for one epoch. */
const BLOCK_TIMEOUT_MS = 100_000;
/** Example processes still running, killed when the file ends (e.g. after a vitest timeout). */
const running = new Set<ReturnType<typeof spawn>>();
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

/** Rewrites positions in the generated module (`<file>:12:5`) into positions in the Markdown file. */
function toMarkdownPositions(text: string, generated: string, file: string, fenceLine: number): string {
  const escaped = generated.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return text.replace(new RegExp(`(?:file://)?${escaped}:(\\d+)(?::(\\d+))?`, 'g'), (_, line: string, column?: string) =>
    `${file}:${fenceLine + Number(line)}${column ? `:${column}` : ''}`,
  );
}

/** Runs one block with tsx in a fresh temporary working directory; resolves with its exit status and output. */
async function runExample(file: string, example: CodeExample): Promise<{ code: number | null; signal: string | null; output: string }> {
  mkdirSync(GENERATED, { recursive: true });
  const module = join(GENERATED, `${file.replace(/[/\\]/g, '__').replace(/\.md$/, '')}-L${example.fenceLine}.${example.language === 'ts' ? 'ts' : 'mjs'}`);
  writeFileSync(module, example.code);
  const cwd = mkdtempSync(join(tmpdir(), 'db-docs-example-'));
  if (example.mode.kind === 'needs-data') {
    for (const path of example.mode.paths) {
      mkdirSync(dirname(join(cwd, path)), { recursive: true });
      symlinkSync(join(DATA_DIR, path), join(cwd, path));
    }
  }
  try {
    return await new Promise((resolvePromise, reject) => {
      const child = spawn(process.execPath, ['--import', TSX_LOADER, '--conditions=@db/source', module], {
        cwd,
        env: {
          ...process.env,
          DB_WASM_THREADS: '1', // two shared cores: one wasm thread per example process
          DB_DATA_DIR: DATA_DIR,
          DB_CACHE_DIR: join(cwd, '.cache'), // no example reads or fills the user's download cache
          DB_OFFLINE: '1', // and none downloads
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      running.add(child);
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const timer = setTimeout(() => {
        output += `\n[killed after ${BLOCK_TIMEOUT_MS / 1000} s]`;
        child.kill('SIGKILL');
      }, BLOCK_TIMEOUT_MS);
      child.on('error', reject);
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        running.delete(child);
        resolvePromise({ code, signal, output: toMarkdownPositions(output, module, file, example.fenceLine) });
      });
    });
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
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
        const { code, signal, output } = await runExample(file, example);
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
    for (const child of running) child.kill('SIGKILL');
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
