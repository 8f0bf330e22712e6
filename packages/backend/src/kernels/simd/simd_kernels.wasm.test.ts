import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assembleWat } from '../../../scripts/assemble-wat.js';
import { PLAIN_MEMORY_WASM, SHARED_MEMORY_WASM } from './simd_kernels.wasm.js';

describe('simd_kernels.wasm.ts', () => {
  it('holds exactly what simd_kernels.wat assembles to (run pnpm --filter @db/backend build:wasm after editing it)', async () => {
    const wat = readFileSync(new URL('./simd_kernels.wat', import.meta.url), 'utf8');
    const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
    expect(SHARED_MEMORY_WASM).toBe(b64(await assembleWat('simd_kernels.wat', wat, true)));
    expect(PLAIN_MEMORY_WASM).toBe(b64(await assembleWat('simd_kernels.wat', wat, false)));
  });

  it('is a valid module whose memory import is shared in one variant and plain in the other', () => {
    for (const [bytes, shared] of [
      [SHARED_MEMORY_WASM, true],
      [PLAIN_MEMORY_WASM, false],
    ] as const) {
      const module = new WebAssembly.Module(Buffer.from(bytes, 'base64'));
      expect(WebAssembly.Module.exports(module).map((e) => e.name)).toEqual(['filterGrad', 'blockChannels', 'maxPoolGrad', 'adamUpdate']);
      const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536, shared });
      expect(() => new WebAssembly.Instance(module, { env: { memory } })).not.toThrow();
    }
  });
});
