import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectParity, setupBackends, valuesOn } from './test-utils/backends.js';
import { mulberry32 } from './test-utils/nets.js';

function randomIds(n: number, numSegments: number, seed: number): number[] {
  const rng = mulberry32(seed);
  return Array.from({ length: n }, () => Math.floor(rng() * numSegments));
}

describe('UnsortedSegmentSum on wasm', () => {
  beforeAll(setupBackends);

  it('matches cpu for float32 x of rank 1..4 with 1-D ids', async () => {
    const cases: [number[], number][] = [[[7], 3], [[9, 5], 4], [[6, 3, 4], 6], [[5, 2, 3, 2], 2]];
    let seed = 10;
    for (const [shape, numSegments] of cases) {
      const ids = randomIds(shape[0], numSegments, seed++);
      await expectParity(() => tf.unsortedSegmentSum(tf.randomNormal(shape, 0, 1, 'float32', seed), tf.tensor1d(ids, 'int32'), numSegments));
    }
  });

  it('sums int32 x exactly and keeps the int32 dtype (TF semantics)', async () => {
    await tf.setBackend('wasm');
    const out = tf.unsortedSegmentSum(tf.tensor2d([[1, 2], [3, 4], [5, 6], [7, 8]], [4, 2], 'int32'), tf.tensor1d([1, 0, 1, 1], 'int32'), 3);
    expect(out.dtype).toBe('int32');
    expect(out.shape).toEqual([3, 2]);
    expect(Array.from(out.dataSync())).toEqual([3, 4, 13, 16, 0, 0]);
    out.dispose();
  });

  it('drops ids outside [0, numSegments) like the cpu backend', async () => {
    const ids = randomIds(40, 5, 3);
    for (const i of [0, 7, 19]) ids[i] = -1;
    for (const i of [3, 25]) ids[i] = 7;
    await expectParity(() => tf.unsortedSegmentSum(tf.randomNormal([40, 3], 0, 1, 'float32', 4), tf.tensor1d(ids, 'int32'), 5));
  });

  it('takes multi-dimensional ids as a prefix of x (output [numSegments, ...rest])', async () => {
    // cpu sums only over axis 0 for rank-2 ids (kernels/UnsortedSegmentSum.ts), so compare with a direct loop.
    const x = [[[1, 2], [3, 4], [5, 6]], [[7, 8], [9, 10], [11, 12]]];
    const ids = [[0, 2, 0], [1, 2, 2]];
    const [out] = await valuesOn('wasm', () => tf.unsortedSegmentSum(tf.tensor3d(x), tf.tensor2d(ids, [2, 3], 'int32') as unknown as tf.Tensor1D, 3));
    expect(out.shape).toEqual([3, 2]);
    expect(out.values).toEqual([1 + 5, 2 + 6, 7, 8, 3 + 9 + 11, 4 + 10 + 12]);
  });

  it('gives tf.gather a gradient on wasm equal to cpu (axis 0 and 1, repeated indices)', async () => {
    for (const axis of [0, 1]) {
      await expectParity(() => {
        const params = tf.randomNormal([6, 5, 3], 0, 1, 'float32', 7 + axis);
        const idx = tf.tensor1d([4, 0, 4, 2, 1, 4], 'int32');
        const w = tf.randomNormal(axis === 0 ? [6, 5, 3] : [6, 6, 3], 0, 1, 'float32', 9);
        return tf.grad((p: tf.Tensor) => tf.sum(tf.mul(tf.gather(p, idx, axis), w)))(params);
      });
    }
  });

  it('names the bad argument', async () => {
    await tf.setBackend('wasm');
    expect(() => tf.unsortedSegmentSum(tf.zeros([4, 2]), tf.tensor1d([0, 1, 0], 'int32'), 2)).toThrow(/segmentIds shape \[3\] must be a prefix of x shape \[4,2\]/);
  });
});
