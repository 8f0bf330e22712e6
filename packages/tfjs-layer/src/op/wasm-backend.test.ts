import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectedDropFraction, sampleDropBlockMask, sampleDropBlockMask3d } from '@db/core';
import { dropBlock2d, dropBlock3d } from '../index.js';
import { keptPattern, meanAndStandardError, planeDropFractions, unitsNotInWholeBlock, sum64 } from '../test-utils/helpers.js';

// The same properties on the wasm backend: the op uses standard kernels only (SparseToDense, MaxPool, RealDiv,
// Transpose), so it must behave identically there. Under Node the backend loads its .wasm from its dist folder.
beforeAll(async () => {
  expect(await tf.setBackend('wasm')).toBe(true);
  await tf.ready();
});

describe('dropBlock2d on the wasm backend', () => {
  it('runs on wasm and equals the @db/core reference mask for the same seed', () => {
    expect(tf.getBackend()).toBe('wasm');
    for (const dataFormat of ['channelsLast', 'channelsFirst'] as const) {
      for (const blockSize of [3, 7]) {
        const [N, C, H, W] = [3, 4, 14, 12];
        const shape: [number, number, number, number] = dataFormat === 'channelsLast' ? [N, H, W, C] : [N, C, H, W];
        const o = { keepProb: 0.8, blockSize, seed: 77, dataFormat };
        const y = tf.tidy(() => dropBlock2d(tf.ones(shape) as tf.Tensor4D, o));
        const got = y.dataSync();
        y.dispose();
        // Sum in float64: a float32 tf.sum of ~700 values adds its own rounding error of that order.
        const sum = sum64(got);
        const ref = sampleDropBlockMask({ batch: N, channels: C, height: H, width: W, ...o });
        expect(Array.from(keptPattern(got))).toEqual(Array.from(ref.data));
        expect(Math.abs(sum - got.length) / got.length).toBeLessThan(1e-5);
      }
    }
  }, 30_000);

  it('drops whole blocks at the expected rate (14x14, k=7, keepProb 0.9)', () => {
    const planes = 2400;
    const d = tf.tidy(() =>
      dropBlock2d(tf.ones([planes / 8, 8, 14, 14]) as tf.Tensor4D, { keepProb: 0.9, blockSize: 7, seed: 4, dataFormat: 'channelsFirst' }).dataSync(),
    );
    expect(unitsNotInWholeBlock(d, planes, 14, 14, 7, 7)).toBe(0);
    const { mean, se } = meanAndStandardError(planeDropFractions(d, 196));
    const expected = expectedDropFraction({ keepProb: 0.9, blockSize: 7, height: 14, width: 14 });
    expect(Math.abs(mean - expected) / expected).toBeLessThan(0.15);
    expect(Math.abs(mean - expected)).toBeLessThan(4 * se);
  }, 30_000);

  it('gradient is mask x scale and nothing leaks; 3D works too', () => {
    const x = tf.randomNormal([2, 9, 9, 3]) as tf.Tensor4D;
    const o = { keepProb: 0.7, blockSize: 3, seed: 12 };
    const before = tf.memory().numTensors;
    const [g, m] = tf.tidy(() => [
      tf.grad((t: tf.Tensor) => tf.sum(dropBlock2d(t as tf.Tensor4D, o)))(x).dataSync(),
      dropBlock2d(tf.onesLike(x), o).dataSync(),
    ]);
    expect(Array.from(g)).toEqual(Array.from(m));
    // 3D, channelsFirst with several channels (pooled channels-last, then transposed on wasm).
    const o3 = { keepProb: 0.7, blockSize: 2, seed: 1, dataFormat: 'channelsFirst' as const };
    const got3 = tf.tidy(() => dropBlock3d(tf.ones([2, 3, 4, 5, 6]) as tf.Tensor5D, o3).dataSync());
    const ref3 = sampleDropBlockMask3d({ batch: 2, channels: 3, depth: 4, height: 5, width: 6, ...o3 });
    expect(Array.from(keptPattern(got3))).toEqual(Array.from(ref3.data));
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  }, 30_000);
});
