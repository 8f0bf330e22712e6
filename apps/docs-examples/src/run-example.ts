/**
 * Runs one extracted code example in its own process, as a user would run it: a standalone ES module.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { CodeExample } from './extract.js';

const APP = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// tsx's loader in this process's node (not tsx's CLI, which runs the module in a grandchild that a kill misses).
const TSX_LOADER = pathToFileURL(createRequire(join(APP, 'package.json')).resolve('tsx')).href;
// Generated modules live inside the app, so `@db/*` and `@tensorflow/*` resolve through its node_modules.
const GENERATED = join(APP, '.examples');
/** Example processes still running. */
const running = new Set<ReturnType<typeof spawn>>();

/** Where a run finds its data, and how long it may take. */
export interface RunOptions {
  /** The data directory: `DB_DATA_DIR` of the example, and where `needs-data` paths are linked from. */
  dataDir: string;
  /** The example's process is killed after this many milliseconds. */
  timeoutMs: number;
}

/** How an example's process ended, and what it printed (stdout and stderr, interleaved). */
export interface RunResult {
  code: number | null;
  signal: string | null;
  output: string;
}

/** Kills every example process still running (e.g. after the test runner gave up waiting). */
export function killRunningExamples(): void {
  for (const child of running) child.kill('SIGKILL');
}

/** Rewrites positions in the generated module (`<file>:12:5`) into positions in the Markdown file. */
function toMarkdownPositions(text: string, generated: string, file: string, fenceLine: number): string {
  const escaped = generated.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return text.replace(new RegExp(`(?:file://)?${escaped}:(\\d+)(?::(\\d+))?`, 'g'), (_, line: string, column?: string) =>
    `${file}:${fenceLine + Number(line)}${column ? `:${column}` : ''}`,
  );
}

/**
 * Runs one block as a standalone ES module with tsx (`--conditions=@db/source`) in a fresh temporary working
 * directory (removed afterwards); resolves with its exit status and output, positions mapped to `file`'s lines.
 * A `needs-data` block gets each of its paths linked from `dataDir` into that directory.
 */
export async function runExample(file: string, example: CodeExample, options: RunOptions): Promise<RunResult> {
  const { dataDir, timeoutMs } = options;
  mkdirSync(GENERATED, { recursive: true });
  const module = join(GENERATED, `${file.replace(/[/\\]/g, '__').replace(/\.md$/, '')}-L${example.fenceLine}.${example.language === 'ts' ? 'ts' : 'mjs'}`);
  writeFileSync(module, example.code);
  const cwd = mkdtempSync(join(tmpdir(), 'db-docs-example-'));
  if (example.mode.kind === 'needs-data') {
    for (const path of example.mode.paths) {
      mkdirSync(dirname(join(cwd, path)), { recursive: true });
      symlinkSync(join(dataDir, path), join(cwd, path));
    }
  }
  try {
    return await new Promise((resolvePromise, reject) => {
      const child = spawn(process.execPath, ['--import', TSX_LOADER, '--conditions=@db/source', module], {
        cwd,
        env: {
          ...process.env,
          DB_WASM_THREADS: '1', // two shared cores: one wasm thread per example process
          DB_DATA_DIR: dataDir,
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
        output += `\n[killed after ${timeoutMs / 1000} s]`;
        child.kill('SIGKILL');
      }, timeoutMs);
      child.on('error', reject);
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        running.delete(child);
        resolvePromise({ code, signal, output: toMarkdownPositions(output, module, file, example.fenceLine) });
      });
    });
  } finally {
    rmSync(module, { force: true });
    rmSync(cwd, { recursive: true, force: true });
  }
}
