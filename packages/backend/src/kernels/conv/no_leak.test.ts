import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerConvKernels } from './index.js';
import { seededValues } from './test-utils/parity.js';

describe('conv training kernels on wasm do not leak', () => {
  beforeAll(async () => {
    registerConvKernels();
    await tf.setBackend('wasm');
  });

  it('keeps tf.memory().numTensors and the backend data count stable across training steps', () => {
    // Every kernel of this module in one step: a strided conv (phase-split input gradient, row-split weight
    // gradient), a 1x1 conv (matrix-product weight gradient), a depthwise conv and a max pool.
    const w1 = tf.variable(tf.tensor4d(seededValues(1, 3 * 3 * 3 * 8), [3, 3, 3, 8]).mul(0.2));
    const w2 = tf.variable(tf.tensor4d(seededValues(2, 8 * 6), [1, 1, 8, 6]).mul(0.3));
    const wd = tf.variable(tf.tensor4d(seededValues(3, 3 * 3 * 6 * 2), [3, 3, 6, 2]).mul(0.3));
    const x = tf.tensor4d(seededValues(4, 4 * 17 * 17 * 3), [4, 17, 17, 3]);
    const opt = tf.train.adam(0.01);
    const loss = () => {
      let h = tf.relu(tf.conv2d(x, w1 as tf.Tensor4D, 2, 'same'));
      h = tf.conv2d(h, w2 as tf.Tensor4D, 1, 'valid');
      h = tf.depthwiseConv2d(h, wd as tf.Tensor4D, 1, 'same');
      h = tf.maxPool(h, 2, 2, 'valid');
      return tf.mean(tf.square(h)) as tf.Scalar;
    };
    const step = () => {
      const cost = opt.minimize(loss, true) as tf.Scalar;
      const value = cost.dataSync()[0];
      cost.dispose();
      return value;
    };
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const losses = [step()];
    const tensors = tf.memory().numTensors;
    const dataIds = backend.numDataIds();
    for (let i = 0; i < 4; i++) losses.push(step());
    expect(tf.memory().numTensors).toBe(tensors);
    expect(backend.numDataIds()).toBe(dataIds);
    // The steps did train: the loss went down.
    expect(losses[4]).toBeLessThan(losses[0]);
    tf.dispose([w1, w2, wd, x]);
    opt.dispose();
  });
});
