/**
 * Assembles the package's hand-written WebAssembly (src/kernels/simd/*.wat) with wabt and writes each as a
 * TypeScript module of base64 bytes next to it (`<name>.wasm.ts`), so the library ships no separate binary and
 * needs no assembler at run time. Two variants per module: one importing a shared memory (the threaded wasm
 * backend's) and one a plain memory (the single-threaded build's).
 *
 *   pnpm --filter @db/backend build:wasm          # rewrite the .wasm.ts files
 *   pnpm --filter @db/backend build:wasm --check  # exit 1 if they differ from their .wat source
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assembleWat, wasmModuleSource } from './assemble-wat.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '../src/kernels/simd');
const check = process.argv.includes('--check');
let stale = 0;
for (const file of readdirSync(dir).filter((f) => f.endsWith('.wat'))) {
  const wat = readFileSync(join(dir, file), 'utf8');
  const source = wasmModuleSource(file, await assembleWat(file, wat, true), await assembleWat(file, wat, false));
  const target = join(dir, file.replace(/\.wat$/, '.wasm.ts'));
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    // not written yet
  }
  if (current === source) continue;
  if (check) {
    console.error(`build:wasm: ${target} is out of date with ${file}; run pnpm --filter @db/backend build:wasm`);
    stale++;
  } else {
    writeFileSync(target, source);
    console.log(`build:wasm: wrote ${target}`);
  }
}
process.exitCode = stale > 0 ? 1 : 0;
