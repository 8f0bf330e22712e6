/**
 * The DropBlock ops and SpatialDropout2D on the webgpu backend (Dawn; a software Vulkan driver in CI) give the
 * cpu backend's values: same mask for the same seed, dropped units exactly 0, kept units x * scale, and the same
 * gradient (mask x scale). The op builds its mask as a divisor map (+Infinity at seeds, spread by max pooling,
 * then x / divisor), so these tests also show that +Infinity survives upload, SparseToDense, MaxPool and RealDiv
 * on the device (WGSL has no infinity literal; a shader that clamps or flushes it would give NaN or non-zeros).
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { dropBlock2d, dropBlock3d, SpatialDropout2D } from '@db/tfjs-layer';
import { announce, expectWebGpuParity, valuesOn, webgpuSkipReason } from './test-utils/device.js';
import { WEBGPU_READ_SYNC_MESSAGE } from './use-webgpu.js';

announce('ops.device.test');
const figures: string[] = [];

describe.skipIf(webgpuSkipReason != null)('DropBlock and SpatialDropout on webgpu', () => {
  afterAll(() => {
    console.info(`webgpu vs cpu, worst relative error:\n  ${figures.join('\n  ')}`);
  });

  it('keeps +Infinity through SparseToDense, explicitly padded MaxPool and RealDiv', async () => {
    const [pooled, divided] = await valuesOn('webgpu', () => {
      const seeds = tf.reshape(
        tf.sparseToDense(tf.tensor1d([5, 18], 'int32'), tf.scalar(Number.POSITIVE_INFINITY), [25], tf.scalar(0.8)),
        [1, 5, 5, 1],
      ) as tf.Tensor4D;
      const divisor = tf.maxPool(seeds, [3, 3], 1, [[0, 0], [2, 2], [2, 2], [0, 0]]);
      return [divisor, tf.div(tf.ones(divisor.shape), divisor)];
    });
    expect(pooled.shape).toEqual([1, 7, 7, 1]);
    const infinities = pooled.values.filter((v) => v === Number.POSITIVE_INFINITY).length;
    // Seeds at (1, 0) and (3, 3) of the 5x5 map, each spread to a 3x3 block of the 7x7 output (rows 1-3 x
    // columns 0-2 and rows 3-5 x columns 3-5): 18 units, the rest 0.8.
    expect(infinities).toBe(18);
    expect(pooled.values.every((v) => v === Number.POSITIVE_INFINITY || Math.abs(v - 0.8) < 1e-7)).toBe(true);
    expect(divided.values.filter((v) => v === 0).length).toBe(18);
    expect(divided.values.every((v) => v === 0 || Math.abs(v - 1.25) < 1e-6)).toBe(true);
  });

  const cases2d = [
    { dataFormat: 'channelsLast' as const, shape: [2, 9, 10, 3], blockSize: 3 },
    { dataFormat: 'channelsFirst' as const, shape: [2, 3, 9, 10], blockSize: 3 },
    // blockSize >= 5 expands the blocks with two separable 1-D pools.
    { dataFormat: 'channelsLast' as const, shape: [1, 12, 12, 2], blockSize: 5 },
    { dataFormat: 'channelsFirst' as const, shape: [1, 2, 12, 12], blockSize: 7 },
  ];
  it.each(cases2d)('dropBlock2d $dataFormat $shape k=$blockSize: values and gradient match cpu', async (c) => {
    const o = { keepProb: 0.75, blockSize: c.blockSize, seed: 31, dataFormat: c.dataFormat };
    const fn = () => {
      const x = tf.randomNormal<tf.Rank.R4>(c.shape as [number, number, number, number], 0, 1, 'float32', 7);
      const y = dropBlock2d(x, o);
      const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(dropBlock2d(t as tf.Tensor4D, o), 2)))(x);
      return [y, g];
    };
    const err = await expectWebGpuParity(fn, 1e-6);
    const [mask] = await valuesOn('webgpu', () => dropBlock2d(tf.ones<tf.Rank.R4>(c.shape as [number, number, number, number]), o));
    const zeros = mask.values.filter((v) => v === 0).length;
    expect(zeros).toBeGreaterThan(0);
    expect(zeros).toBeLessThan(mask.values.length);
    const scale = mask.values.find((v) => v !== 0)!;
    expect(mask.values.every((v) => v === 0 || v === scale)).toBe(true);
    figures.push(`dropBlock2d ${c.dataFormat} ${c.shape.join('x')} k=${c.blockSize} (value, gradient): ${err.toExponential(1)}`);
  });

  it.each([
    { dataFormat: 'channelsLast' as const, shape: [2, 4, 5, 6, 3] },
    { dataFormat: 'channelsFirst' as const, shape: [2, 3, 4, 5, 6] },
  ])('dropBlock3d $dataFormat $shape: values and gradient match cpu', async (c) => {
    const o = { keepProb: 0.7, blockSize: 2, seed: 5, dataFormat: c.dataFormat };
    const err = await expectWebGpuParity(() => {
      const x = tf.randomNormal<tf.Rank.R5>(c.shape as [number, number, number, number, number], 0, 1, 'float32', 9);
      return [dropBlock3d(x, o), tf.grad((t: tf.Tensor) => tf.sum(dropBlock3d(t as tf.Tensor5D, o)))(x)];
    }, 1e-6);
    figures.push(`dropBlock3d ${c.dataFormat} ${c.shape.join('x')} (value, gradient): ${err.toExponential(1)}`);
  });

  it.each(['channelsLast', 'channelsFirst'] as const)('SpatialDropout2D %s: values and gradient match cpu', async (dataFormat) => {
    const shape = dataFormat === 'channelsLast' ? [3, 5, 5, 8] : [3, 8, 5, 5];
    const err = await expectWebGpuParity(() => {
      // A fresh layer per backend with the same seed draws the same (sample, channel) keep flags.
      const layer = new SpatialDropout2D({ rate: 0.5, seed: 3, dataFormat });
      const x = tf.randomNormal(shape, 0, 1, 'float32', 4);
      const f = (t: tf.Tensor) => tf.sum(tf.square(layer.apply(t, { training: true }) as tf.Tensor));
      const y = new SpatialDropout2D({ rate: 0.5, seed: 3, dataFormat }).apply(x, { training: true }) as tf.Tensor;
      return [y, tf.grad(f)(x)];
    }, 1e-5);
    figures.push(`SpatialDropout2D ${dataFormat} (value, gradient): ${err.toExponential(1)}`);
  });

  it('leaks no tensors on webgpu', async () => {
    await tf.setBackend('webgpu');
    const x = tf.randomNormal([2, 8, 8, 3]) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      const g = tf.tidy(() => tf.grad((t: tf.Tensor) => tf.sum(dropBlock2d(t as tf.Tensor4D, { keepProb: 0.8, blockSize: 3, seed: i })))(x));
      await g.data();
      g.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});

describe.skipIf(webgpuSkipReason != null)('synchronous reads on webgpu under Node', () => {
  it('fail with an error that says to read asynchronously', async () => {
    await tf.setBackend('webgpu');
    const y = tf.square(tf.tensor1d([1, 2, 3]));
    expect(() => y.dataSync()).toThrow(WEBGPU_READ_SYNC_MESSAGE);
    expect(Array.from(await y.data())).toEqual([1, 4, 9]);
    y.dispose();
  });
});
