/**
 * The wasm kernels with every tensor above 2 GiB of heap (issue 8, item 1). The heap grows to 4 GiB and tfjs keeps
 * byte offsets unsigned; kernels that made them float indices with `memoryOffset >> 2` got negative indices there
 * (reads NaN, lost writes, copyWithin over unrelated memory): dx and dw of a strided conv had relative error 1.0.
 *
 * This file runs in its own process: after `useFastestBackend` (wasm) a 560,000,000-float ballast moves every later
 * allocation above 2 GiB (test-utils/heap-ballast.ts; its pages are never touched, so it costs no memory). Then the
 * issue's cases, then a second pass of @db/backend's parity test files, imported here so they run on this heap. The
 * last test asserts that every allocation of the file really sat above 2 GiB.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { useFastestBackend } from '../index.js';
import { relativeError, seededValues } from './conv/test-utils/parity.js';
import { pushHeapAboveTwoGiB, TWO_GIB } from './test-utils/heap-ballast.js';
import type { WasmBackend } from './wasm-internals.js';

// One thread: the second pass's work stays on one core of a shared machine (the heap is the same either way).
await useFastestBackend({ force: 'wasm', wasmThreads: 1, log: () => {} });
const wasm = tf.backend() as unknown as WasmBackend;
const ballast = pushHeapAboveTwoGiB(wasm);
/** The offset exactly as the backend stores it (unsigned since tfjs 4.x: `_malloc(n) >>> 0`). */
const memoryOffset = (t: tf.Tensor) => wasm.dataIdMap.get(t.dataId)!.memoryOffset;

/** dx, dw of `loss(x, w, r)` on `backend`, with the wasm tensors' heap offsets. */
async function gradsOn(
  backend: 'cpu' | 'wasm',
  loss: (x: tf.Tensor4D, w: tf.Tensor4D, r: tf.Tensor) => tf.Scalar,
  rShape: number[],
): Promise<{ dx: Float32Array; dw: Float32Array; offsets: number[] }> {
  await tf.setBackend(backend);
  const x = tf.tensor4d(seededValues(11, 2 * 17 * 17 * 3), [2, 17, 17, 3]);
  const w = tf.tensor4d(seededValues(12, 3 * 3 * 3 * 8), [3, 3, 3, 8]);
  const r = tf.tensor(seededValues(13, rShape.reduce((a, b) => a * b, 1)), rShape);
  const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => loss(a as tf.Tensor4D, b as tf.Tensor4D, r))([x, w]);
  const offsets = backend === 'wasm' ? [x, w, r, dx, dw].map(memoryOffset) : [];
  const out = { dx: (await dx.data()) as Float32Array, dw: (await dw.data()) as Float32Array, offsets };
  tf.dispose([x, w, r, dx, dw]);
  return out;
}

describe('conv gradients with the wasm heap above 2 GiB match the cpu backend (issue 8, item 1)', () => {
  it('sits above 2 GiB: the ballast ends past it and a new tensor starts past it', () => {
    expect(ballast.ballast + 560_000_000 * 4).toBeGreaterThan(TWO_GIB);
    const t = tf.ones([4]);
    expect(memoryOffset(t)).toBeGreaterThanOrEqual(TWO_GIB);
    t.dispose();
  });

  it.each([
    {
      name: "a stride-2 'same' conv2d",
      rShape: [2, 9, 9, 8],
      loss: (x: tf.Tensor4D, w: tf.Tensor4D, r: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, w, 2, 'same'), r)) as tf.Scalar,
    },
    {
      name: 'a conv2d followed by maxPool',
      rShape: [2, 5, 5, 8],
      loss: (x: tf.Tensor4D, w: tf.Tensor4D, r: tf.Tensor) =>
        tf.sum(tf.mul(tf.maxPool(tf.conv2d(x, w, 2, 'same'), 2, 2, 'same'), r)) as tf.Scalar,
    },
  ])('dx and dw of $name', async ({ rShape, loss }) => {
    const ref = await gradsOn('cpu', loss, rShape);
    const got = await gradsOn('wasm', loss, rShape);
    for (const offset of got.offsets) expect(offset).toBeGreaterThanOrEqual(TWO_GIB);
    expect(relativeError(got.dx, ref.dx)).toBeLessThan(1e-4);
    expect(relativeError(got.dw, ref.dw)).toBeLessThan(1e-4);
  });
});

// The parity files' own beforeAll hooks register the kernels again (idempotent) and select 'wasm': the backend
// created above, ballast included. training-coverage (whole nets, the slowest file) and threads/ are left out.
describe('the parity tests of @db/backend, second pass with the heap above 2 GiB', async () => {
  await import('./conv/conv_grads.test.js');
  await import('./conv/no_leak.test.js');
  await import('./misc/batch-norm-forward.test.js');
  await import('./misc/batch-norm-grad.test.js');
  await import('./misc/reductions.test.js');
  await import('./misc/reduction-grads.test.js');
  await import('./misc/unsorted-segment-sum.test.js');
  await import('./misc/non-differentiable.test.js');
  await import('./misc/identity.test.js');
});

describe('the heap above 2 GiB', () => {
  it('held every allocation of this file (the ballast filled all free memory below)', () => {
    expect(ballast.allocations()).toBeGreaterThan(1000);
    expect(ballast.lowest()).toBeGreaterThanOrEqual(TWO_GIB);
    ballast.release();
  });
});
