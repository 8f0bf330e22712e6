import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findDocFiles, importedPackages, installedPackages, packageOf } from './docs.js';
import { extractExamples } from './extract.js';

describe('extractExamples', () => {
  const md = [
    '# Title', //                                                    1
    '```sh', //                                                      2
    'pnpm add @db/core', //                                          3
    '```', //                                                        4
    '```ts', //                                                      5
    "import { computeGamma } from '@db/core';", //                   6
    '```', //                                                        7
    '- a list item:', //                                             8
    '', //                                                           9
    '  ```javascript', //                                            10
    '  const a = 1;', //                                             11
    '    const b = 2;', //                                           12
    '  ```', //                                                      13
    '<!-- example: not-run (a type signature) -->', //               14
    '```typescript', //                                              15
    'declare function f(x: number): number;', //                     16
    '```', //                                                        17
    '<!-- example: needs-data cifar-10-batches-bin, coco (real images) -->', // 18
    '', //                                                           19
    '````ts title="x"', //                                           20
    '```', //                                                        21
    '````', //                                                       22
    '```json', //                                                    23
    '{}', //                                                         24
    '```', //                                                        25
  ].join('\n');

  it('finds ts/js blocks with their fence lines, languages, markers and de-indented code; skips other languages', () => {
    const examples = extractExamples(md, 'x.md');
    expect(examples.map((e) => [e.fenceLine, e.language, e.mode])).toEqual([
      [5, 'ts', { kind: 'run' }],
      [10, 'js', { kind: 'run' }],
      [15, 'ts', { kind: 'not-run', reason: 'a type signature' }],
      [20, 'ts', { kind: 'needs-data', paths: ['cifar-10-batches-bin', 'coco'], reason: 'real images' }],
    ]);
    expect(examples[1].code).toBe('const a = 1;\n  const b = 2;\n');
    expect(examples[3].code).toBe('```\n'); // a longer fence holds a shorter one
  });

  it('rejects an unknown or misplaced marker, a not-run without a reason, and an unclosed fence, naming the line', () => {
    expect(() => extractExamples('<!-- example: skip -->\n```ts\nx\n```\n', 'a.md')).toThrow('a.md:1: unknown example marker "skip"');
    expect(() => extractExamples('<!-- example: not-run -->\n```ts\nx\n```\n', 'a.md')).toThrow('a.md:1: unknown example marker');
    expect(() => extractExamples('<!-- example: not-run (why) -->\n```sh\nx\n```\n', 'a.md')).toThrow(
      'a.md:1: example marker before a "sh" block',
    );
    expect(() => extractExamples('<!-- example: needs-data ../x -->\n```ts\nx\n```\n', 'a.md')).toThrow('relative to the data directory');
    expect(() => extractExamples('text\n```ts\nx\n', 'a.md')).toThrow('a.md:2: code fence ``` is never closed');
  });
});

describe('imports and install commands', () => {
  it('names the packages a block imports', () => {
    const code = [
      "import * as tf from '@tensorflow/tfjs';",
      "import '@tensorflow/tfjs-backend-wasm';",
      "import { readFile } from 'node:fs/promises';",
      "import { a,\n  b } from '@db/core/sub';",
      "export { c } from './local.js';",
      "const m = await import('h5wasm');",
    ].join('\n');
    expect(importedPackages(code)).toEqual(['@db/core', '@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', 'h5wasm']);
    expect([packageOf('node:fs'), packageOf('./x'), packageOf('lodash/fp')]).toEqual([null, null, 'lodash']);
  });

  it('names the packages a README installs, without versions, flags, comments or tarball paths', () => {
    const md = '```sh\npnpm add @db/a @tensorflow/tfjs   # optional: tfjs-b\n```\nThen `pnpm add -D x@4.22.0`, `npm install ./db-a-0.1.0.tgz`.';
    expect(installedPackages(md)).toEqual(['@db/a', '@tensorflow/tfjs', 'x']);
  });

  it('finds the root, package and app READMEs and every guide under docs/guides', () => {
    const root = mkdtempSync(join(tmpdir(), 'db-docs-find-'));
    try {
      for (const dir of ['packages/a', 'packages/b', 'apps/c', 'docs/guides/deep', 'docs/api']) mkdirSync(join(root, dir), { recursive: true });
      for (const file of ['README.md', 'packages/a/README.md', 'apps/c/README.md', 'docs/guides/intro.md', 'docs/guides/deep/math.md', 'docs/api/x.md', 'docs/guides/notes.txt']) {
        writeFileSync(join(root, file), '# x\n');
      }
      expect(findDocFiles(root)).toEqual(['README.md', 'apps/c/README.md', 'docs/guides/deep/math.md', 'docs/guides/intro.md', 'packages/a/README.md']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
