import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { WASM_HEAP_MAX_BYTES, WasmHeapExhaustedError } from './heap-guard.js';

/** Runs test-utils/step-past-heap.ts in a fresh process (its own 4 GiB heap) and returns its RESULT line. */
function stepPastHeap(threads: number) {
  const script = fileURLToPath(new URL('./test-utils/step-past-heap.ts', import.meta.url));
  const tsx = createRequire(import.meta.url).resolve('tsx');
  // Batch 64 needs 32 MiB activations; the ballast leaves 64 MiB free, so the step cannot finish.
  const child = spawnSync(process.execPath, ['--conditions=@db/source', '--import', tsx, script, String(threads), '64', '64'], {
    encoding: 'utf8',
    timeout: 90_000,
  });
  expect(child.status, child.stderr).toBe(0);
  const line = child.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  expect(line, child.stdout + child.stderr).toBeDefined();
  return JSON.parse(line!.slice('RESULT '.length)) as {
    error: { name: string; message: string } | null;
    seconds: number;
    tensorsBefore: number;
    tensorsAfter: number;
    smallLoss: number;
  };
}

describe('a training step that needs more than the wasm heap fails fast (issue 19, item 2)', () => {
  it('names the request, the heap and what to lower', () => {
    const e = new WasmHeapExhaustedError(33_554_432, WASM_HEAP_MAX_BYTES, 3_000 * 2 ** 20, 812, {
      shape: [64, 64, 64, 32],
      dtype: 'float32',
    });
    expect(e.message).toBe(
      '@db/backend: out of wasm memory: a float32 tensor of shape [64, 64, 64, 32] needs 33,554,432 bytes (32.0 MiB) ' +
        'and the wasm heap is at 4,095.9 MiB, its 32-bit maximum; live tensors hold 3,000.0 MiB (812 tensors). ' +
        'Lower the batch size or the input size (image side), or train a smaller model; the heap cannot grow past ' +
        '4 GiB in one process.',
    );
    expect(new WasmHeapExhaustedError(400_000_000, 3_900_000_000, 0, 0).message).toContain(
      'an allocation needs 400,000,000 bytes (381.5 MiB) and the wasm heap is 3,719.3 MiB and cannot grow by that much',
    );
  });

  // Before the guard the backend put the tensor at address 0 (or past the heap's end) and wrote over the heap:
  // "memory access out of bounds" / "offset is out of bounds" seconds later, or, threaded, a stall.
  it.each([1, 2])('with %i thread(s): a WasmHeapExhaustedError within 60 s, and a smaller step runs after it', (threads) => {
    const r = stepPastHeap(threads);
    expect(r.error?.name).toBe('WasmHeapExhaustedError');
    expect(r.error?.message).toMatch(
      /^@db\/backend: out of wasm memory: a float32 tensor of shape \[64, \d+, \d+, \d+\] needs [\d,]+ bytes .* the wasm heap is at 4,095\.9 MiB, its 32-bit maximum; .*Lower the batch size or the input size/,
    );
    expect(r.seconds).toBeLessThan(60);
    expect(Number.isFinite(r.smallLoss)).toBe(true);
    expect(r.smallLoss).toBeGreaterThan(0);
  }, 120_000);
});
