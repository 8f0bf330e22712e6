import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectedDropFraction, sampleDropBlockMask } from '@db/core';
import { dropBlock2d } from '../index.js';
import {
  keptPattern,
  meanAndStandardError,
  planeDropFractions,
  rescaleOf,
  sum64,
  unitsNotInWholeBlock,
} from '../test-utils/helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

describe('dropBlock2d (cpu backend)', () => {
  it('returns the input unchanged when not training or at keepProb 1', () => {
    const x = tf.randomNormal([2, 6, 6, 3]) as tf.Tensor4D;
    expect(dropBlock2d(x, { keepProb: 0.5, blockSize: 3, training: false })).toBe(x);
    expect(dropBlock2d(x, { keepProb: 1, blockSize: 3 })).toBe(x);
    x.dispose();
  });

  it('keeps shape and dtype, and rescales a ones input to the same sum (1e-5 relative)', () => {
    for (const dataFormat of ['channelsLast', 'channelsFirst'] as const) {
      const shape: [number, number, number, number] = dataFormat === 'channelsLast' ? [4, 12, 10, 3] : [4, 3, 12, 10];
      const x = tf.ones(shape) as tf.Tensor4D;
      const y = dropBlock2d(x, { keepProb: 0.8, blockSize: 3, seed: 5, dataFormat });
      expect(y.shape).toEqual(shape);
      expect(y.dtype).toBe('float32');
      // Sum in float64 so the check measures the op's rescale, not float32 summation error.
      const sum = sum64(y.dataSync());
      expect(Math.abs(sum - x.size) / x.size).toBeLessThan(1e-5);
      // Something was actually dropped.
      expect(y.min().dataSync()[0] === 0).toBe(true);
      tf.dispose([x, y]);
    }
  });

  it('equals the @db/core reference sampler for the same seed (mask and count/count_ones scale)', () => {
    const cases = [
      { dataFormat: 'channelsLast' as const, blockSize: 3 },
      { dataFormat: 'channelsFirst' as const, blockSize: 4 },
      { dataFormat: 'channelsLast' as const, blockSize: 7, sharedChannels: true },
      { dataFormat: 'channelsFirst' as const, blockSize: 5, batchwise: true },
      { dataFormat: 'channelsLast' as const, blockSize: 2, sharedChannels: true, batchwise: true },
    ];
    for (const c of cases) {
      const [N, C, H, W] = [3, 4, 13, 11];
      const shape: [number, number, number, number] = c.dataFormat === 'channelsLast' ? [N, H, W, C] : [N, C, H, W];
      const opts = { keepProb: 0.75, seed: 1234, ...c };
      const y = tf.tidy(() => dropBlock2d(tf.ones(shape) as tf.Tensor4D, opts));
      const got = y.dataSync();
      y.dispose();
      const ref = sampleDropBlockMask({ batch: N, channels: C, height: H, width: W, ...opts });
      expect(Array.from(keptPattern(got))).toEqual(Array.from(ref.data));
      const scale = rescaleOf(ref.data);
      let maxErr = 0;
      for (let i = 0; i < got.length; i++) maxErr = Math.max(maxErr, Math.abs(got[i] - ref.data[i] * scale));
      expect(maxErr).toBeLessThan(1e-5 * scale);
    }
  });

  it('drops only whole kh x kw blocks inside the map (odd, even, clipped)', () => {
    for (const [h, w, k] of [
      [11, 11, 3],
      [10, 13, 4],
      [6, 9, 7],
    ]) {
      const y = tf.tidy(() => dropBlock2d(tf.ones([8, 3, h, w]) as tf.Tensor4D, { keepProb: 0.7, blockSize: k, seed: 9, dataFormat: 'channelsFirst' }));
      const d = y.dataSync();
      y.dispose();
      expect(d.some((v) => v === 0)).toBe(true);
      expect(unitsNotInWholeBlock(d, 24, h, w, Math.min(k, h), Math.min(k, w))).toBe(0);
    }
  });

  it.each([
    { size: 11, k: 3, keepProb: 0.9, planes: 1200 },
    { size: 14, k: 7, keepProb: 0.9, planes: 2400 },
    { size: 7, k: 7, keepProb: 0.9, planes: 4000 },
  ])('measured drop fraction at $size x $size, k=$k, keepProb $keepProb matches expectedDropFraction', ({ size, k, keepProb, planes }) => {
    const y = tf.tidy(() =>
      dropBlock2d(tf.ones([planes / 8, 8, size, size]) as tf.Tensor4D, { keepProb, blockSize: k, seed: 31, dataFormat: 'channelsFirst' }),
    );
    const fr = planeDropFractions(y.dataSync(), size * size);
    y.dispose();
    const expected = expectedDropFraction({ keepProb, blockSize: k, height: size, width: size });
    const { mean, se } = meanAndStandardError(fr);
    expect(Math.abs(mean - expected) / expected).toBeLessThan(0.15);
    expect(Math.abs(mean - expected)).toBeLessThan(4 * se);
  });

  it('block >= map drops whole feature maps with probability 1 - keepProb (SpatialDropout)', () => {
    const planes = 3000;
    const y = tf.tidy(() => dropBlock2d(tf.ones([planes, 5, 4, 1]) as tf.Tensor4D, { keepProb: 0.8, blockSize: 8, seed: 2 }));
    const fr = planeDropFractions(y.dataSync(), 20);
    y.dispose();
    expect(fr.every((f) => f === 0 || f === 1)).toBe(true);
    const mean = fr.reduce((a, b) => a + b, 0) / planes;
    expect(Math.abs(mean - 0.2)).toBeLessThan(4 * Math.sqrt((0.2 * 0.8) / planes));
  });

  it('gives zeros, never NaN, when every unit of the batch is dropped', () => {
    // keepProb 0.05 with block >= map: the single map is dropped with probability 0.95; find a seed that does.
    const x = tf.ones([1, 4, 4, 1]) as tf.Tensor4D;
    let allDropped = 0;
    for (let seed = 0; seed < 10; seed++) {
      const d = tf.tidy(() => dropBlock2d(x, { keepProb: 0.05, blockSize: 4, seed }).dataSync());
      expect(d.every((v) => Number.isFinite(v))).toBe(true);
      if (d.every((v) => v === 0)) allDropped++;
    }
    expect(allDropped).toBeGreaterThan(0);
    x.dispose();
  });

  it('same seed gives the same output; no seed gives a fresh mask per call', () => {
    const x = tf.randomNormal([2, 16, 16, 4]) as tf.Tensor4D;
    const o = { keepProb: 0.8, blockSize: 3 };
    const [a, b, c, d] = tf.tidy(() => [
      dropBlock2d(x, { ...o, seed: 7 }).dataSync(),
      dropBlock2d(x, { ...o, seed: 7 }).dataSync(),
      dropBlock2d(x, o).dataSync(),
      dropBlock2d(x, o).dataSync(),
    ]);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(c)).not.toEqual(Array.from(d));
    x.dispose();
  });

  it('channelsFirst and channelsLast agree (same seed, transposed input)', () => {
    const xl = tf.randomNormal([3, 9, 8, 5]) as tf.Tensor4D;
    const diff = tf.tidy(() => {
      const yl = dropBlock2d(xl, { keepProb: 0.7, blockSize: 3, seed: 42 });
      const yf = dropBlock2d(tf.transpose(xl, [0, 3, 1, 2]), { keepProb: 0.7, blockSize: 3, seed: 42, dataFormat: 'channelsFirst' });
      return tf.max(tf.abs(tf.sub(yl, tf.transpose(yf, [0, 2, 3, 1])))).dataSync()[0];
    });
    expect(diff).toBe(0);
    xl.dispose();
  });

  it('gradient equals mask x scale (the mask is a constant)', () => {
    const x = tf.randomNormal([2, 10, 10, 3]) as tf.Tensor4D;
    const o = { keepProb: 0.7, blockSize: 3, seed: 11 };
    const [g, m] = tf.tidy(() => {
      const grad = tf.grad((t: tf.Tensor) => tf.sum(dropBlock2d(t as tf.Tensor4D, o)))(x);
      const maskTimesScale = dropBlock2d(tf.onesLike(x), o); // same seed, same mask
      return [grad.dataSync(), maskTimesScale.dataSync()];
    });
    expect(Array.from(g)).toEqual(Array.from(m));
    expect(m.some((v) => v === 0)).toBe(true);
    x.dispose();
  });

  it('leaks no tensors', () => {
    const x = tf.randomNormal([2, 8, 8, 2]) as tf.Tensor4D;
    dropBlock2d(x, { keepProb: 0.9, blockSize: 3 }).dispose(); // warm up any lazily created tensors
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) dropBlock2d(x, { keepProb: 0.9, blockSize: i + 1, sharedChannels: i % 2 === 0 }).dispose();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('rejects bad input with errors naming the argument', () => {
    const x = tf.ones([1, 5, 5, 1]) as tf.Tensor4D;
    const ok = { keepProb: 0.9, blockSize: 3 };
    expect(() => dropBlock2d(x, { ...ok, keepProb: 0 })).toThrow(/keepProb/);
    expect(() => dropBlock2d(x, { ...ok, keepProb: 1.1 })).toThrow(/keepProb/);
    expect(() => dropBlock2d(x, { ...ok, blockSize: 0 })).toThrow(/blockSize/);
    expect(() => dropBlock2d(x, { ...ok, blockSize: 2.5 })).toThrow(/blockSize/);
    expect(() => dropBlock2d(x, { ...ok, dataFormat: 'NHWC' as never })).toThrow(/dataFormat/);
    expect(() => dropBlock2d(tf.ones([5, 5, 1]) as never, ok)).toThrow(/rank-4/);
    expect(() => dropBlock2d(tf.ones([1, 5, 5, 1], 'int32') as tf.Tensor4D, ok)).toThrow(/float32/);
    // Validation happens even when the call would be an identity.
    expect(() => dropBlock2d(x, { ...ok, blockSize: -1, training: false })).toThrow(/blockSize/);
    x.dispose();
  });
});
