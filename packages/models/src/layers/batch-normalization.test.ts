import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { batchNormalization, batchNormTraining } from './batch-normalization.js';

/** Largest absolute difference of two tensors' values. */
function maxDiff(a: tf.Tensor, b: tf.Tensor): number {
  const x = a.dataSync();
  const y = b.dataSync();
  expect(x.length).toBe(y.length);
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]));
  return worst;
}

/** A stock tfjs-layers BatchNormalization and ours with the same config and (non-trivial) weights. */
function pair(
  channels: number,
  epsilon: number,
  movingVarianceCorrection: 'biased' | 'unbiased' = 'biased',
): { stock: tf.layers.Layer; ours: tf.layers.Layer } {
  const stock = tf.layers.batchNormalization({ axis: -1, epsilon, momentum: 0.9 });
  const ours = batchNormalization({ axis: -1, epsilon, momentum: 0.9, movingVarianceCorrection });
  const shape = [2, 3, 4, channels];
  stock.build(shape);
  ours.build(shape);
  const weights = [
    tf.randomUniform([channels], 0.5, 1.5, 'float32', 1), // gamma
    tf.randomUniform([channels], -0.5, 0.5, 'float32', 2), // beta
    tf.randomUniform([channels], -0.2, 0.2, 'float32', 3), // moving mean
    tf.randomUniform([channels], 0.8, 1.2, 'float32', 4), // moving variance
  ];
  stock.setWeights(weights);
  ours.setWeights(weights);
  tf.dispose(weights);
  return { stock, ours };
}

/** Loss and gradients (x, gamma, beta) of a fixed, non-symmetric loss downstream of the layer in training mode. */
function lossAndGrads(layer: tf.layers.Layer, x: tf.Tensor, w: tf.Tensor): { loss: tf.Scalar; grads: tf.Tensor[] } {
  const [gamma, beta] = layer.trainableWeights.map((v) => v.read() as tf.Variable);
  const f = (xi: tf.Tensor) => tf.sum(tf.mul(tf.square(layer.apply(xi, { training: true }) as tf.Tensor), w)) as tf.Scalar;
  const { value, grads } = tf.variableGrads(() => f(x), [gamma, beta]);
  const dx = tf.grad(f)(x);
  return { loss: value, grads: [dx, grads[gamma.name], grads[beta.name]] };
}

describe('BatchNormalization (lean training step)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('gives tfjs-layers’ output, gradients and moving statistics in training mode (biased variance)', () => {
    const { stock, ours } = pair(5, 1e-3);
    const x = tf.randomNormal([2, 3, 4, 5], 1.5, 2, 'float32', 7);
    const w = tf.randomUniform([2, 3, 4, 5], -1, 1, 'float32', 8);
    const a = lossAndGrads(stock, x, w);
    const b = lossAndGrads(ours, x, w);
    expect(maxDiff(a.loss, b.loss) / Math.abs(a.loss.dataSync()[0])).toBeLessThan(1e-5);
    for (let i = 0; i < 3; i++) {
      const scale = Math.max(...Array.from(a.grads[i].abs().dataSync()));
      expect(maxDiff(a.grads[i], b.grads[i]) / scale).toBeLessThan(1e-4);
    }
    // Moving mean / variance: two training applies each (variableGrads and grad), updated alike.
    const [, , stockMean, stockVar] = stock.getWeights();
    const [, , oursMean, oursVar] = ours.getWeights();
    expect(maxDiff(stockMean, oursMean)).toBeLessThan(1e-6);
    expect(maxDiff(stockVar, oursVar)).toBeLessThan(1e-5);
    // And they moved as momentum 0.9 says: two updates towards the same batch, v2 = 0.81 v0 + 0.19 batch.
    const batch = tf.moments(x, [0, 1, 2]);
    const v0 = tf.randomUniform([5], 0.8, 1.2, 'float32', 4);
    const m0 = tf.randomUniform([5], -0.2, 0.2, 'float32', 3);
    expect(maxDiff(oursVar, tf.add(tf.mul(v0, 0.81), tf.mul(batch.variance, 0.19)))).toBeLessThan(1e-5);
    expect(maxDiff(oursMean, tf.add(tf.mul(m0, 0.81), tf.mul(batch.mean, 0.19)))).toBeLessThan(1e-5);
    expect(maxDiff(oursVar, v0)).toBeGreaterThan(0.1);
  });

  it('updates the moving variance as Keras 2 by default: v <- m v + (1 - m) var_B n / (n - 1)', () => {
    const { stock, ours } = pair(5, 1e-3, 'unbiased');
    const byDefault = batchNormalization({ axis: -1, epsilon: 1e-3, momentum: 0.9 });
    byDefault.build([2, 3, 4, 5]);
    byDefault.setWeights(ours.getWeights());
    expect((byDefault as unknown as { movingVarianceCorrection: string }).movingVarianceCorrection).toBe('unbiased');
    const x = tf.randomNormal([2, 3, 4, 5], 1.5, 2, 'float32', 7);
    const [, , m0, v0] = ours.getWeights().map((w) => w.clone());
    const yStock = stock.apply(x, { training: true }) as tf.Tensor;
    const yOurs = ours.apply(x, { training: true }) as tf.Tensor;
    byDefault.apply(x, { training: true });
    // The normalised output is the same (batch statistics, biased, as in Keras); only the moving variance differs.
    expect(maxDiff(yStock, yOurs)).toBeLessThan(1e-5);
    const n = 2 * 3 * 4; // elements per channel in the batch
    const batch = tf.moments(x, [0, 1, 2]);
    const expectedVar = tf.add(tf.mul(v0, 0.9), tf.mul(batch.variance, (0.1 * n) / (n - 1)));
    const expectedMean = tf.add(tf.mul(m0, 0.9), tf.mul(batch.mean, 0.1));
    for (const layer of [ours, byDefault]) {
      const [, , mean, variance] = layer.getWeights();
      expect(maxDiff(variance, expectedVar)).toBeLessThan(1e-5);
      expect(maxDiff(mean, expectedMean)).toBeLessThan(1e-6);
    }
    // And it is not the biased update: the two differ by 0.1 var_B / (n - 1) per channel (> 1e-3 here).
    const [, , , stockVar] = stock.getWeights();
    const gap = tf.sub(ours.getWeights()[3], stockVar);
    const expectedGap = tf.mul(batch.variance, 0.1 / (n - 1));
    expect(maxDiff(gap, expectedGap)).toBeLessThan(1e-5);
    expect(Math.min(...Array.from(expectedGap.dataSync()))).toBeGreaterThan(1e-3);
  });

  it('applies the unbiased update on the general path too (channels-first axis, no scale)', () => {
    const layer = batchNormalization({ axis: 1, momentum: 0.5, scale: false });
    const x = tf.randomNormal([3, 4, 2, 2], -1, 3, 'float32', 21);
    layer.apply(x, { training: true });
    const n = 3 * 2 * 2;
    const batch = tf.moments(x, [0, 2, 3]);
    const [, mean, variance] = layer.getWeights(); // beta, moving mean, moving variance
    expect(maxDiff(variance, tf.add(0.5, tf.mul(batch.variance, (0.5 * n) / (n - 1))))).toBeLessThan(1e-5);
    expect(maxDiff(mean, tf.mul(batch.mean, 0.5))).toBeLessThan(1e-6);
  });

  it('rejects an unknown movingVarianceCorrection', () => {
    expect(() => batchNormalization({ movingVarianceCorrection: 'bessel' as 'biased' })).toThrow(/movingVarianceCorrection.*bessel/);
  });

  it('normalises with the batch statistics (per channel mean 0, variance 1 before gamma / beta)', () => {
    const x = tf.randomNormal([4, 6, 6, 3], 3, 5, 'float32', 11);
    const { y, mean, variance } = batchNormTraining(x, tf.ones([3]), tf.zeros([3]), 1e-5);
    const m = tf.moments(y, [0, 1, 2]);
    for (const v of m.mean.dataSync()) expect(Math.abs(v)).toBeLessThan(1e-5);
    for (const v of m.variance.dataSync()) expect(v).toBeCloseTo(1, 4);
    const ref = tf.moments(x, [0, 1, 2]);
    expect(maxDiff(mean, ref.mean)).toBeLessThan(1e-5);
    expect(maxDiff(variance, ref.variance)).toBeLessThan(1e-4);
  });

  it('keeps less memory for the backward pass than tfjs-layers (only x and per-channel vectors)', () => {
    const shape = [2, 8, 8, 16];
    const elementBytes = 2 * 8 * 8 * 16 * 4;
    const retained = (layer: tf.layers.Layer): number => {
      const x = tf.randomNormal(shape, 0, 1, 'float32', 5);
      let bytes = 0;
      const [gamma] = layer.trainableWeights.map((v) => v.read() as tf.Variable);
      const { value, grads } = tf.variableGrads(() => {
        const before = tf.memory().numBytes;
        const y = layer.apply(x, { training: true }) as tf.Tensor;
        // What the forward pass leaves for the backward pass, less the output itself.
        bytes = tf.memory().numBytes - before - elementBytes;
        return tf.sum(y) as tf.Scalar;
      }, [gamma]);
      tf.dispose([x, value, ...Object.values(grads)]);
      return bytes;
    };
    const { stock, ours } = pair(16, 1e-3);
    const stockBytes = retained(stock);
    const oursBytes = retained(ours);
    // tfjs-layers keeps x - mean, its square and more (engine clones of saved tensors count once each here);
    // ours keeps a clone of x and a few per-channel vectors.
    expect(stockBytes).toBeGreaterThanOrEqual(2 * elementBytes);
    expect(oursBytes).toBeLessThan(1.25 * elementBytes);
    expect(stockBytes / oursBytes).toBeGreaterThan(2);
  });

  it('falls back to tfjs-layers in inference and leaks no tensor in training', () => {
    const { stock, ours } = pair(4, 1e-3);
    const x = tf.randomNormal([1, 5, 5, 4], 0, 1, 'float32', 9);
    expect(maxDiff(stock.apply(x) as tf.Tensor, ours.apply(x) as tf.Tensor)).toBe(0);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      const { value, grads } = tf.variableGrads(
        () => tf.sum(ours.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
        ours.trainableWeights.map((v) => v.read() as tf.Variable),
      );
      tf.dispose([value, ...Object.values(grads)]);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('serialises as tfjs-layers’ BatchNormalization (the correction key only when biased)', () => {
    const layer = batchNormalization({ axis: 3, epsilon: 1.001e-5, name: 'bn_x' });
    expect(layer.getClassName()).toBe('BatchNormalization');
    expect(layer.getConfig()).toMatchObject({ axis: 3, epsilon: 1.001e-5, name: 'bn_x' });
    // A default (Keras 2-like) layer's config has exactly tfjs-layers' keys.
    const stock = tf.layers.batchNormalization({ axis: 3, epsilon: 1.001e-5, name: 'bn_x' });
    expect(Object.keys(layer.getConfig()).sort()).toEqual(Object.keys(stock.getConfig()).sort());
    // A biased one writes the key; tfjs-layers' own class still loads that config (it ignores unknown keys), and
    // this class reads it back.
    const biased = batchNormalization({ axis: 3, name: 'bn_y', movingVarianceCorrection: 'biased' });
    const config = biased.getConfig();
    expect(config['movingVarianceCorrection']).toBe('biased');
    const StockClass = stock.constructor as unknown as new (c: unknown) => tf.layers.Layer;
    expect(new StockClass(config).getConfig()['axis']).toBe(3);
    const Ours = biased.constructor as unknown as new (c: unknown) => { movingVarianceCorrection: string };
    expect(new Ours(config).movingVarianceCorrection).toBe('biased');
    expect(new Ours(layer.getConfig()).movingVarianceCorrection).toBe('unbiased');
  });
});
