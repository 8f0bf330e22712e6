import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectParity, setupBackends } from './test-utils/backends.js';
import { setFastBatchNormEnabled } from './batch-norm-forward.js';

/** tf.batchNorm(x, mean, variance, offset, scale) with per-channel statistics of the given shape. */
function bn(shape: number[], paramShape: number[] | null, seed: number, withAffine = true) {
  return () => {
    const C = shape[shape.length - 1];
    const ps = paramShape ?? [C];
    const x = tf.randomNormal(shape, 0.5, 2, 'float32', seed);
    const mean = tf.randomNormal(ps, 0.5, 1, 'float32', seed + 1);
    const variance = tf.randomUniform(ps, 0.1, 3, 'float32', seed + 2);
    const offset = withAffine ? tf.randomNormal(ps, 0, 0.5, 'float32', seed + 3) : undefined;
    const scale = withAffine ? tf.randomNormal(ps, 1, 0.5, 'float32', seed + 4) : undefined;
    return tf.batchNorm(x, mean, variance, offset, scale, 1e-3);
  };
}

describe('FusedBatchNorm forward on wasm (1x1 depthwise conv with bias)', () => {
  beforeAll(setupBackends);

  it('matches cpu for 4-D, batch-1, 2-D, 3-D and odd channel counts', async () => {
    const shapes = [[4, 6, 6, 16], [1, 3, 5, 7], [9, 6], [2, 5, 3], [3, 1, 1, 1], [2, 7, 9, 33]];
    let seed = 1;
    for (const shape of shapes) await expectParity(bn(shape, null, (seed += 10)), 1e-5);
  });

  it('matches cpu with [1, 1, 1, C] statistics and without scale / offset', async () => {
    await expectParity(bn([2, 4, 4, 5], [1, 1, 1, 5], 50), 1e-5);
    await expectParity(bn([2, 4, 4, 5], null, 60, false), 1e-5);
  });

  it('keeps upstream for statistics that broadcast along another axis, and gives the same values when switched off', async () => {
    // mean etc. of shape [4, 1, 1, 1] broadcast along the batch axis: not per-channel, so the upstream kernel runs.
    await expectParity(() => {
      const x = tf.randomNormal([4, 3, 3, 4], 0, 1, 'float32', 70);
      return tf.batchNorm(x, tf.randomNormal([4, 1, 1, 1], 0, 1, 'float32', 71), tf.randomUniform([4, 1, 1, 1], 0.5, 2, 'float32', 72));
    });
    await tf.setBackend('wasm');
    const on = bn([2, 3, 3, 6], null, 80)();
    setFastBatchNormEnabled(false);
    try {
      const off = bn([2, 3, 3, 6], null, 80)();
      const diff = tf.max(tf.abs(tf.sub(on, off))).dataSync()[0];
      expect(diff).toBeLessThan(1e-5);
      tf.dispose(off);
    } finally {
      setFastBatchNormEnabled(true);
      tf.dispose(on);
    }
  });

  it('does not leak tensors', async () => {
    await tf.setBackend('wasm');
    const g = bn([2, 4, 4, 8], null, 90);
    const f = () => tf.tidy(g);
    tf.dispose(f());
    const before = tf.memory().numTensors;
    const bytes = tf.memory().numBytes;
    for (let i = 0; i < 3; i++) tf.dispose(f());
    expect(tf.memory().numTensors).toBe(before);
    expect(tf.memory().numBytes).toBe(bytes);
  });
});
