import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectParity, setupBackends } from './test-utils/backends.js';
import { leadingReduction } from './reductions.js';

describe('leadingReduction', () => {
  it('accepts exactly the leading blocks of axes, ignoring size-1 dims', () => {
    expect(leadingReduction([4, 5, 6, 7], [0, 1, 2])).toBe(3);
    expect(leadingReduction([4, 5, 6, 7], [0])).toBe(1);
    expect(leadingReduction([4, 5, 6, 7], [2, 1, 0])).toBe(3);
    expect(leadingReduction([4, 1, 6, 7], [0, 2])).toBe(3);
    expect(leadingReduction([4, 5, 6, 7], [3])).toBe(-1);
    expect(leadingReduction([4, 5, 6, 7], [0, 2])).toBe(-1);
    expect(leadingReduction([4, 5, 6, 7], [1, 2])).toBe(-1);
    expect(leadingReduction([1, 5, 6], [0])).toBe(-1);
    expect(leadingReduction([4, 5], -2)).toBe(1);
  });
});

describe('Sum / Mean over leading axes on wasm', () => {
  beforeAll(setupBackends);

  it('match cpu for NHWC per-channel reductions, keepDims or not, odd sizes', async () => {
    for (const [shape, axes] of [[[3, 5, 7, 9], [0, 1, 2]], [[2, 3, 1, 5], [0, 1]], [[13, 6], [0]], [[5, 1, 1, 3], [0, 1, 2]], [[2, 12, 9, 16], [0, 1, 2]], [[1, 7, 5, 3], [0, 1, 2]], [[4, 1, 6, 7], [0, 2]]] as [number[], number[]][]) {
      for (const keepDims of [false, true]) {
        await expectParity(() => [
          tf.sum(tf.randomNormal(shape, 3, 2, 'float32', 1), axes, keepDims),
          tf.mean(tf.randomNormal(shape, 3, 2, 'float32', 2), axes, keepDims),
        ]);
      }
    }
  });

  it('leave other reductions and int32 to the original kernels, with the same results', async () => {
    await expectParity(() => [
      tf.sum(tf.randomNormal([4, 5, 6], 0, 1, 'float32', 3), [1]),
      tf.sum(tf.randomNormal([4, 5, 6], 0, 1, 'float32', 4), -1),
      tf.mean(tf.randomNormal([4, 5, 6], 0, 1, 'float32', 5)),
      tf.sum(tf.tensor2d([[1, 2], [3, 4], [5, 6]], [3, 2], 'int32'), 0),
    ]);
  });
});
