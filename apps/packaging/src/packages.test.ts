/**
 * The release path as a user meets it: every publishable package packs with its build inside (prepack), ships
 * no `@db/source` condition and no source map pointing at a missing file, passes publint and attw, and works
 * when installed from its tarball into a project outside the workspace, in plain ESM and in TypeScript.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installConsumer, runConsumerScript, typecheckConsumer } from './consumer.js';
import { attw, publint } from './lint.js';
import { packAll, publishablePackages, tarballFiles, tarballManifest, tarballMember } from './workspace.js';

let outDir: string;
let tarballs: Map<string, string>;
const cleanup: string[] = [];

beforeAll(() => {
  outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'db-packs-'));
  cleanup.push(outDir);
  tarballs = packAll(outDir);
});

afterAll(() => {
  for (const d of cleanup) fs.rmSync(d, { recursive: true, force: true });
});

describe('packed packages', () => {
  it('packs every publishable package', () => {
    expect([...tarballs.keys()].sort()).toEqual(publishablePackages().map((p) => p.name).sort());
  });

  it('ship their build, sources for the source maps, README, and no tests', () => {
    for (const [name, tarball] of tarballs) {
      const files = tarballFiles(tarball);
      expect(files, name).toContain('dist/index.js');
      expect(files, name).toContain('dist/index.d.ts');
      expect(files, name).toContain('README.md');
      expect(files.filter((f) => f.endsWith('.test.ts') || f.includes('test-utils/')), name).toEqual([]);
      // Every source a shipped source map names is shipped too.
      for (const map of files.filter((f) => f.endsWith('.js.map'))) {
        const { sources } = JSON.parse(tarballMember(tarball, map)) as { sources: string[] };
        for (const s of sources) {
          const target = path.posix.normalize(path.posix.join(path.posix.dirname(map), s));
          expect(files, `${name}: ${map} names ${s}`).toContain(target);
        }
      }
    }
  });

  it('publish manifests with versions for workspace ranges, no @db/source condition, and the release fields', () => {
    for (const [name, tarball] of tarballs) {
      const m = tarballManifest(tarball) as Record<string, any>;
      expect(JSON.stringify(m.exports), name).not.toContain('@db/source');
      expect(m.exports['.'].types, name).toBe('./dist/index.d.ts');
      expect(Object.keys(m.exports['.'])[0], `${name}: types first`).toBe('types');
      for (const deps of [m.dependencies ?? {}, m.peerDependencies ?? {}]) {
        for (const [dep, range] of Object.entries(deps)) expect(range, `${name} -> ${dep}`).not.toMatch(/^workspace:/);
      }
      for (const field of ['name', 'version', 'description', 'license', 'repository', 'keywords', 'exports', 'files', 'sideEffects', 'engines']) {
        expect(m[field], `${name}.${field}`).toBeDefined();
      }
      expect(m.scripts?.prepack, `${name}: prepack is not shipped`).toBeUndefined();
    }
  });

  it('pass publint (strict) and attw (esm-only: node16 and bundler resolution)', () => {
    for (const [name, tarball] of tarballs) {
      const p = publint(tarball);
      expect(p.ok, `${name} publint:\n${p.output}`).toBe(true);
      const a = attw(tarball);
      expect(a.ok, `${name} attw:\n${a.output}`).toBe(true);
    }
  });
});

describe('a consumer project outside the workspace', () => {
  let dir: string;
  beforeAll(() => {
    dir = installConsumer(tarballs);
    cleanup.push(dir);
  });

  it('imports and uses every package from plain ESM JavaScript', () => {
    const r = runConsumerScript(dir);
    expect(r.backend).toBe('wasm');
    expect(r.gamma as number).toBeCloseTo((0.1 * 121) / (9 * 81), 12);
    expect(r.expected as number).toBeCloseTo(0.09494, 4);
    expect(r.dropped as number).toBeGreaterThan(0.02);
    expect(r.dropped as number).toBeLessThan(0.25);
    expect(Number.isFinite(r.loss as number)).toBe(true);
    expect(r.seqOutput).toEqual([null, 8, 8, 2]);
    expect(r.cifarLabels).toEqual([3, 8]);
    expect(r.detectionExports as number).toBeGreaterThan(0);
  });

  it('type-checks a TypeScript file against the shipped declarations (node16 resolution)', () => {
    expect(typecheckConsumer(dir).trim()).toBe('');
  });

  it('installs exactly one copy of @tensorflow/tfjs-core (peer dependencies, not two TF.js)', () => {
    const copies = findPackageCopies(path.join(dir, 'node_modules'), '@tensorflow/tfjs-core');
    expect(copies).toHaveLength(1);
  });
});

function findPackageCopies(nodeModules: string, name: string): string[] {
  const found: string[] = [];
  const walk = (nm: string, depth: number) => {
    if (depth > 6 || !fs.existsSync(nm)) return;
    const candidate = path.join(nm, name, 'package.json');
    if (fs.existsSync(candidate)) found.push(candidate);
    for (const entry of fs.readdirSync(nm)) {
      const scoped = entry.startsWith('@') ? fs.readdirSync(path.join(nm, entry)).map((e) => path.join(entry, e)) : [entry];
      for (const e of scoped) walk(path.join(nm, e, 'node_modules'), depth + 1);
    }
  };
  walk(nodeModules, 0);
  return found;
}
