/**
 * Build-time only (build-wasm.ts and the test that keeps the shipped bytes in step with their source): text
 * format to binary with wabt, a devDependency. Nothing the library runs imports this file.
 */
import { createRequire } from 'node:module';

type Wabt = {
  parseWat(
    name: string,
    text: string,
    features: Record<string, boolean>,
  ): { validate(features: Record<string, boolean>): void; toBinary(o: object): { buffer: Uint8Array }; destroy(): void };
};

const FEATURES = { simd: true, threads: true };

/** The module's bytes; `shared` keeps the memory import shared (the threaded backend), else makes it plain. */
export async function assembleWat(name: string, wat: string, shared: boolean): Promise<Uint8Array> {
  const marker = /\(memory 1 65536 shared\)/;
  if (!marker.test(wat)) throw new Error(`${name}: expected a '(memory 1 65536 shared)' import to make both variants from`);
  const text = shared ? wat : wat.replace(marker, '(memory 1 65536)');
  const wabt = (await (createRequire(import.meta.url)('wabt') as () => Promise<Wabt>)()) as Wabt;
  const module = wabt.parseWat(name, text, FEATURES);
  try {
    module.validate(FEATURES);
    return new Uint8Array(module.toBinary({}).buffer);
  } finally {
    module.destroy();
  }
}

/** The generated TypeScript module holding both variants as base64. */
export function wasmModuleSource(name: string, shared: Uint8Array, plain: Uint8Array): string {
  const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
  return [
    `// Generated from ${name} by scripts/build-wasm.ts (pnpm --filter @db/backend build:wasm). Do not edit.`,
    '/** The module importing a shared memory (threaded wasm backend), base64. */',
    `export const SHARED_MEMORY_WASM = '${b64(shared)}';`,
    '/** The module importing a plain memory (single-threaded wasm backend), base64. */',
    `export const PLAIN_MEMORY_WASM = '${b64(plain)}';`,
    '',
  ].join('\n');
}
