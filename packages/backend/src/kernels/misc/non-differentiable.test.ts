import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { setupBackends, valuesOn, expectClose } from './test-utils/backends.js';

describe('zero gradients for comparison kernels', () => {
  beforeAll(setupBackends);

  for (const backend of ['cpu', 'wasm'] as const) {
    it(`make tf.divNoNan differentiable on ${backend}: d/da (a / b) = 1 / b, d/db = -a / b^2`, async () => {
      // (Where b == 0 the result is NaN, upstream: where()'s zero gradient reaches RealDiv's as 0 / 0.)
      const [ga, gb] = await valuesOn(backend, () =>
        tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.divNoNan(a, b)))([tf.tensor1d([1, 3, 5, 7]), tf.tensor1d([2, 1, -4, 0.5])]),
      );
      expectClose(ga, { shape: [4], values: [0.5, 1, -0.25, 2] }, 1e-6);
      expectClose(gb, { shape: [4], values: [-0.25, -3, -5 / 16, -28] }, 1e-6);
    });
  }

  it('pass zero (float32, input-shaped) gradients through comparisons with broadcasting', async () => {
    const [ga, gb] = await valuesOn('wasm', () => {
      const f = (a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.add(tf.mul(a, tf.cast(tf.less(a, b), 'float32')), tf.cast(tf.logicalNot(tf.equal(a, b)), 'float32')));
      return tf.grads(f)([tf.tensor2d([[1, 5], [3, -1]]), tf.tensor1d([2, 2])]);
    });
    expect(ga.values).toEqual([1, 0, 0, 1]);
    expect(gb).toEqual({ shape: [2], values: [0, 0] });
  });
});
