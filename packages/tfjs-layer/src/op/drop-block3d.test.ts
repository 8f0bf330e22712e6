import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectedDropFraction3d, sampleDropBlockMask3d } from '@db/core';
import { dropBlock3d } from '../index.js';
import { keptPattern, meanAndStandardError, planeDropFractions, rescaleOf, sum64, max64 } from '../test-utils/helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

describe('dropBlock3d (cpu backend)', () => {
  it('returns the input when not training or at keepProb 1, and keeps shape and dtype otherwise', () => {
    const x = tf.ones([2, 5, 6, 7, 3]) as tf.Tensor5D;
    expect(dropBlock3d(x, { keepProb: 0.9, blockSize: 3, training: false })).toBe(x);
    expect(dropBlock3d(x, { keepProb: 1, blockSize: 3 })).toBe(x);
    const y = dropBlock3d(x, { keepProb: 0.7, blockSize: 3, seed: 3 });
    expect(y.shape).toEqual(x.shape);
    expect(y.dtype).toBe('float32');
    expect(Math.abs(sum64(y.dataSync()) - x.size) / x.size).toBeLessThan(1e-5);
    tf.dispose([x, y]);
  });

  it('equals the @db/core 3D reference sampler for the same seed, both layouts', () => {
    const [N, C, D, H, W] = [2, 3, 5, 6, 7];
    for (const dataFormat of ['channelsLast', 'channelsFirst'] as const) {
      for (const blockSize of [2, 3, 6]) {
        const shape: [number, number, number, number, number] =
          dataFormat === 'channelsLast' ? [N, D, H, W, C] : [N, C, D, H, W];
        const o = { keepProb: 0.7, blockSize, seed: 99, dataFormat };
        const got = tf.tidy(() => dropBlock3d(tf.ones(shape) as tf.Tensor5D, o).dataSync());
        const ref = sampleDropBlockMask3d({ batch: N, channels: C, depth: D, height: H, width: W, ...o });
        expect(Array.from(keptPattern(got))).toEqual(Array.from(ref.data));
        const scale = rescaleOf(ref.data);
        expect(Math.abs(max64(got) - scale)).toBeLessThan(1e-5 * scale);
      }
    }
  });

  it('measured drop fraction matches expectedDropFraction3d', () => {
    const [D, H, W] = [6, 7, 8];
    const planes = 1500;
    const data = tf.tidy(() =>
      dropBlock3d(tf.ones([planes / 5, 5, D, H, W]) as tf.Tensor5D, { keepProb: 0.85, blockSize: 3, seed: 5, dataFormat: 'channelsFirst' }).dataSync(),
    );
    const fr = planeDropFractions(data, D * H * W);
    const expected = expectedDropFraction3d({ keepProb: 0.85, blockSize: 3, depth: D, height: H, width: W });
    const { mean, se } = meanAndStandardError(fr);
    expect(Math.abs(mean - expected) / expected).toBeLessThan(0.15);
    expect(Math.abs(mean - expected)).toBeLessThan(4 * se);
  });

  it('rejects bad input', () => {
    expect(() => dropBlock3d(tf.ones([1, 4, 4, 1]) as never, { keepProb: 0.9, blockSize: 2 })).toThrow(/rank-5/);
    expect(() => dropBlock3d(tf.ones([1, 4, 4, 4, 1]) as tf.Tensor5D, { keepProb: -1, blockSize: 2 })).toThrow(/keepProb/);
  });
});
