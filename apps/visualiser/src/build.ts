/**
 * Bundles the visualiser with esbuild into a folder that any static server (or the docs site) serves as is:
 * index.html, style.css, app.js, the CIFAR-10 asset and the wasm backend's binaries (for browsers without WebGL).
 *
 * Usage: `tsx --conditions=@db/source src/build.ts [outDir]` (default: docs/site/visualiser of the repository).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const APP = path.resolve(HERE, '..');

/** Builds the page into `outDir` and returns the files written. */
export async function buildVisualiser(outDir: string): Promise<string[]> {
  fs.mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: [path.join(HERE, 'main.ts')],
    outfile: path.join(outDir, 'app.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    minify: true,
    sourcemap: false,
    conditions: ['@db/source'],
    // tfjs' wasm backend mentions Node modules on code paths a browser never takes.
    external: ['fs', 'path', 'worker_threads', 'perf_hooks', 'os', 'crypto'],
    logLevel: 'warning',
  });
  for (const f of ['index.html', 'style.css']) fs.copyFileSync(path.join(HERE, f), path.join(outDir, f));
  fs.copyFileSync(path.join(APP, 'assets', 'cifar10-test-8.bin'), path.join(outDir, 'cifar10-test-8.bin'));
  const require = createRequire(path.join(APP, 'package.json'));
  const wasmDist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  for (const f of fs.readdirSync(wasmDist).filter((f) => f.endsWith('.wasm'))) fs.copyFileSync(path.join(wasmDist, f), path.join(outDir, f));
  return fs.readdirSync(outDir).sort();
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = path.resolve(process.argv[2] ?? path.join(APP, '..', '..', 'docs', 'site', 'visualiser'));
  const files = await buildVisualiser(out);
  console.log(`visualiser: ${files.length} files in ${out}`);
}
