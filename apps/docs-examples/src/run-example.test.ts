import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CodeExample } from './extract.js';
import { runExample } from './run-example.js';

const dataDir = mkdtempSync(join(tmpdir(), 'db-docs-data-'));
mkdirSync(join(dataDir, 'set'));
writeFileSync(join(dataDir, 'set', 'file.txt'), 'from the data dir');
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const block = (code: string, extra: Partial<CodeExample> = {}): CodeExample => ({
  fenceLine: 10,
  language: 'js',
  code,
  mode: { kind: 'run' },
  ...extra,
});

describe('runExample', () => {
  it('reports a failing block with its exit code and the error at its line of the Markdown file', async () => {
    const result = await runExample('docs/guides/fake.md', block("const a = 1;\nconst b = a + 1;\nthrow new Error('boom ' + b);\n"), {
      dataDir,
      timeoutMs: 60_000,
    });
    expect(result.code).toBe(1);
    expect(result.output).toContain('Error: boom 2');
    expect(result.output).toContain('docs/guides/fake.md:13'); // line 3 of the block whose fence is on line 10
  });

  it('runs TypeScript with @db/* from sources, in a temporary directory, with the data linked and one wasm thread', async () => {
    const code = [
      "import { readFileSync } from 'node:fs';",
      "import { computeGamma } from '@db/core';",
      'const gamma: number = computeGamma({ keepProb: 0.9, blockSize: 3, height: 11, width: 11 });',
      "console.log(gamma.toFixed(5), readFileSync('set/file.txt', 'utf8'), process.env.DB_WASM_THREADS, process.env.DB_OFFLINE, process.cwd().includes('db-docs-example-'));",
    ].join('\n');
    const result = await runExample('fake.md', block(code, { language: 'ts', mode: { kind: 'needs-data', paths: ['set'], reason: '' } }), {
      dataDir,
      timeoutMs: 60_000,
    });
    expect(result.output.trim()).toBe('0.01660 from the data dir 1 1 true');
    expect(result.code).toBe(0);
  });

  it('kills a block that runs past its time', async () => {
    const result = await runExample('fake.md', block('setInterval(() => {}, 1000);\n'), { dataDir, timeoutMs: 3_000 });
    expect([result.code, result.signal]).toEqual([null, 'SIGKILL']);
    expect(result.output).toContain('[killed after 3 s]');
  });
});
