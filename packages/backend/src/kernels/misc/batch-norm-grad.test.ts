import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectParity, setupBackends } from './test-utils/backends.js';
import { FUSED_BATCH_NORM_GRAD } from './batch-norm-grad.js';

/**
 * Gradients of sum(w * batchNorm(x, mean(x), var(x), offset, scale)) w.r.t. x, scale and offset, as BN trains.
 * Always with scale and offset: tfjs-core 4.22 cannot differentiate tf.batchNorm without either, on any backend
 * (the gradient config saves the absent 'scale'; the tape walks the absent 'offset'); tfjs-layers passes both.
 */
function bnTrainingGrads(shape: number[], seed: number) {
  return () => {
    const C = shape[shape.length - 1];
    const x = tf.randomNormal(shape, 0.5, 2, 'float32', seed);
    const w = tf.randomNormal(shape, 0, 1, 'float32', seed + 1);
    const scale = tf.randomNormal([C], 1, 0.3, 'float32', seed + 2);
    const offset = tf.randomNormal([C], 0, 0.3, 'float32', seed + 3);
    const axes = shape.map((_, i) => i).slice(0, -1);
    const f = (xx: tf.Tensor, s: tf.Tensor, o: tf.Tensor) => {
      const { mean, variance } = tf.moments(xx, axes);
      return tf.sum(tf.mul(tf.batchNorm(xx, mean, variance, o, s, 1e-3), w));
    };
    return tf.grads(f)([x, scale, offset]);
  };
}

describe('fused BatchNorm gradient on wasm', () => {
  beforeAll(setupBackends);

  it('matches cpu through tf.moments for 4-D, 2-D, batch-1 and odd shapes', async () => {
    const shapes = [[2, 5, 3, 4], [1, 3, 3, 7], [9, 6], [3, 1, 1, 5], [4, 6, 6, 16]];
    let seed = 1;
    for (const shape of shapes) await expectParity(bnTrainingGrads(shape, seed++));
  });

  it('gives mean and variance the upstream gradients (fixed statistics)', async () => {
    await expectParity(() => {
      const x = tf.randomNormal([3, 4, 4, 6], 0, 1, 'float32', 21);
      const mean = tf.randomNormal([6], 0, 1, 'float32', 22);
      const variance = tf.randomUniform([6], 0.2, 2, 'float32', 23);
      const scale = tf.randomNormal([6], 1, 0.3, 'float32', 25);
      const offset = tf.randomNormal([6], 0, 0.3, 'float32', 26);
      const w = tf.randomNormal([3, 4, 4, 6], 0, 1, 'float32', 24);
      return tf.grads((xx: tf.Tensor, m: tf.Tensor, v: tf.Tensor, s: tf.Tensor, o: tf.Tensor) =>
        tf.sum(tf.mul(tf.batchNorm(xx, m, v, o, s, 1e-3), w)),
      )([x, mean, variance, scale, offset]);
    });
  });

  it('runs the fused kernel on wasm and the upstream formulation elsewhere', async () => {
    const run = async (backend: string) => {
      await tf.setBackend(backend);
      const info = await tf.profile(() => bnTrainingGrads([2, 3, 3, 4], 5)());
      tf.dispose(info.result as tf.Tensor[]);
      return info.kernelNames;
    };
    const wasm = await run('wasm');
    expect(wasm).toContain(FUSED_BATCH_NORM_GRAD);
    expect(wasm).not.toContain('Tile');
    const cpu = await run('cpu');
    expect(cpu).not.toContain(FUSED_BATCH_NORM_GRAD);
    expect(cpu).toContain('Tile');
  });

  it('falls back to the upstream formulation for broadcast (rank-4) statistics', async () => {
    await expectParity(() => {
      const x = tf.randomNormal([2, 3, 3, 4], 0, 1, 'float32', 31);
      const { mean, variance } = tf.moments(x, [0, 1, 2], true);
      const scale = tf.randomNormal([1, 1, 1, 4], 1, 0.3, 'float32', 33);
      const offset = tf.randomNormal([1, 1, 1, 4], 0, 0.3, 'float32', 34);
      const w = tf.randomNormal([2, 3, 3, 4], 0, 1, 'float32', 32);
      return tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(tf.batchNorm(xx, mean, variance, offset, scale, 1e-3), w)))(x);
    });
  });
});
