import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { batchNormalization } from '../layers/batch-normalization.js';
import { findBatchNormLayers, recalibrateBatchNorm, withRecalibratedBatchNorm } from './recalibrate.js';

const H = 5;
const W = 4;
const C = 3;
const EPS = 1e-3;

/** Per-channel mean and sum of squared deviations of a [.., C]-laid-out array over everything, in float64. */
function population(values: ArrayLike<number>, channels: number): { mean: number[]; m2: number[]; n: number } {
  const n = values.length / channels;
  const mean = new Array<number>(channels).fill(0);
  for (let i = 0; i < values.length; i++) mean[i % channels] += values[i];
  for (let c = 0; c < channels; c++) mean[c] /= n;
  const m2 = new Array<number>(channels).fill(0);
  for (let i = 0; i < values.length; i++) m2[i % channels] += (values[i] - mean[i % channels]) ** 2;
  return { mean, m2, n };
}

/** Training-mode normalisation of one [b, h, w, c] batch with its own statistics, written out (no tf.batchNorm). */
function normaliseBatch(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const mean = tf.mean(x, [0, 1, 2]);
    const variance = tf.mean(tf.square(tf.sub(x, mean)), [0, 1, 2]);
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, EPS))), gamma), beta);
  });
}

function expectClose(actual: ArrayLike<number>, expected: number[], relTol: number): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    expect(Math.abs(actual[i] - expected[i])).toBeLessThanOrEqual(relTol * Math.max(1, Math.abs(expected[i])));
  }
}

function setRandomWeights(layer: tf.layers.Layer, seed: number): void {
  const ws = layer.getWeights().map((w, i) =>
    // gamma, beta, moving mean, moving variance (any order is fine: all non-trivial and positive where needed)
    tf.randomUniform(w.shape, 0.5, 1.5, 'float32', seed + i),
  );
  layer.setWeights(ws);
  tf.dispose(ws);
}

/**
 * conv -> tfjs-layers' BN -> Dropout(0.5) -> our BN (inside a nested sub-model) -> flatten -> dense. The Dropout
 * would change the second BN's statistics if it were on; the sub-model is applied once.
 */
function buildModel(): {
  model: tf.LayersModel;
  conv: tf.layers.Layer;
  bn1: tf.layers.Layer;
  bn2: tf.layers.Layer;
} {
  const conv = tf.layers.conv2d({ filters: C, kernelSize: 3, padding: 'same', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) });
  const bn1 = tf.layers.batchNormalization({ axis: -1, epsilon: EPS });
  const bn2 = batchNormalization({ axis: -1, epsilon: EPS });
  const subInput = tf.input({ shape: [H, W, C] });
  const sub = tf.model({ inputs: subInput, outputs: bn2.apply(subInput) as tf.SymbolicTensor, name: 'sub' });
  const input = tf.input({ shape: [H, W, 2] });
  let x = conv.apply(input) as tf.SymbolicTensor;
  x = bn1.apply(x) as tf.SymbolicTensor;
  x = tf.layers.dropout({ rate: 0.5, seed: 3 }).apply(x) as tf.SymbolicTensor;
  x = sub.apply(x) as tf.SymbolicTensor;
  x = tf.layers.flatten().apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }).apply(x) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  setRandomWeights(bn1, 10);
  setRandomWeights(bn2, 20);
  return { model, conv, bn1, bn2 };
}

/** The two BN layers' expected population statistics for `images` run in batches of `batchSize`. */
function expected(
  parts: ReturnType<typeof buildModel>,
  images: tf.Tensor,
  batchSize: number,
): { bn1: ReturnType<typeof population>; bn2: ReturnType<typeof population> } {
  const n = images.shape[0];
  const convOut: Float32Array[] = [];
  const bn2In: Float32Array[] = [];
  const [gamma, beta] = parts.bn1.getWeights();
  for (let s = 0; s < n; s += batchSize) {
    tf.tidy(() => {
      const x = parts.conv.apply(tf.slice(images, s, Math.min(batchSize, n - s))) as tf.Tensor;
      convOut.push(x.dataSync() as Float32Array);
      // Dropout is off (inference), so BN2 reads BN1's batch-normalised output.
      bn2In.push(normaliseBatch(x, gamma, beta).dataSync() as Float32Array);
    });
  }
  const flat = (arrays: Float32Array[]) => Float64Array.from(arrays.flatMap((a) => Array.from(a)));
  return { bn1: population(flat(convOut), C), bn2: population(flat(bn2In), C) };
}

function movingStats(layer: tf.layers.Layer): { mean: Float32Array; variance: Float32Array } {
  const ws = layer.getWeights();
  return { mean: ws[ws.length - 2].dataSync() as Float32Array, variance: ws[ws.length - 1].dataSync() as Float32Array };
}

/** Every weight value of the model, by weight name (a copy). */
function snapshot(model: tf.LayersModel): Map<string, Float32Array> {
  return new Map(model.weights.map((w) => [w.name, Float32Array.from(w.read().dataSync() as Float32Array)]));
}

describe('recalibrateBatchNorm (precise BN)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('sets each BN layer’s moving statistics to its input’s population mean and unbiased variance', async () => {
    const parts = buildModel();
    const images = tf.randomNormal([10, H, W, 2], 2, 3, 'float32', 5);
    const report = await recalibrateBatchNorm(parts.model, images, { batchSize: 4 });
    expect(report).toEqual({ layers: 2, images: 10 });
    const want = expected(parts, images, 4);
    expect(want.bn1.n).toBe(10 * H * W);
    for (const [layer, stats] of [
      [parts.bn1, want.bn1],
      [parts.bn2, want.bn2],
    ] as const) {
      const got = movingStats(layer);
      expectClose(got.mean, stats.mean, 1e-5);
      expectClose(got.variance, stats.m2.map((m2) => m2 / (stats.n - 1)), 1e-5);
    }
    // A cross-check that needs no reference computation: each batch of BN2's input is BN1's output normalised
    // with that batch's own statistics, so every batch has per-channel mean beta1 exactly and variance
    // gamma1^2 var_B / (var_B + eps) < gamma1^2: the population mean is beta1 and the variance below gamma1^2.
    const [gamma, beta] = parts.bn1.getWeights().map((w) => Array.from(w.dataSync()));
    const bn2 = movingStats(parts.bn2);
    expectClose(bn2.mean, beta, 1e-5);
    for (let c = 0; c < C; c++) expect(bn2.variance[c]).toBeLessThan(gamma[c] ** 2 * (1 + 1 / (want.bn2.n - 1)));
    images.dispose();
    parts.model.dispose();
  });

  it('the unbiased variance is the biased one times n / (n - 1), n = images x positions', async () => {
    const a = buildModel();
    const b = buildModel();
    b.model.setWeights(a.model.getWeights());
    const images = tf.randomNormal([6, H, W, 2], -1, 2, 'float32', 6);
    await recalibrateBatchNorm(a.model, images, { varianceCorrection: 'unbiased', batchSize: 3 });
    await recalibrateBatchNorm(b.model, images, { varianceCorrection: 'biased', batchSize: 3 });
    const n = 6 * H * W;
    for (const [la, lb] of [
      [a.bn1, b.bn1],
      [a.bn2, b.bn2],
    ] as const) {
      const ua = movingStats(la);
      const ub = movingStats(lb);
      expectClose(ua.mean, Array.from(ub.mean), 1e-7);
      expectClose(ua.variance, Array.from(ub.variance, (v) => (v * n) / (n - 1)), 1e-6);
    }
    // And the biased one is exactly the population variance E[x^2] - E[x]^2.
    const want = expected(b, images, 3);
    expectClose(movingStats(b.bn1).variance, want.bn1.m2.map((m2) => m2 / want.bn1.n), 1e-5);
    images.dispose();
  });

  it('takes batches from an iterable or async iterable, stopping at maxImages', async () => {
    const images = tf.randomNormal([10, H, W, 2], 0, 1, 'float32', 7);
    const reference = buildModel();
    await recalibrateBatchNorm(reference.model, images, { batchSize: 4, maxImages: 7 });
    const want = expected(reference, tf.slice(images, 0, 7), 4);
    expectClose(movingStats(reference.bn2).mean, want.bn2.mean, 1e-5);

    const batches = [tf.slice(images, 0, 4), tf.slice(images, 4, 4), tf.slice(images, 8, 2)];
    const sync = buildModel();
    sync.model.setWeights(reference.model.getWeights()); // the statistics it copies are all overwritten
    const r1 = await recalibrateBatchNorm(sync.model, batches, { maxImages: 7 });
    expect(r1).toEqual({ layers: 2, images: 7 });
    async function* gen() {
      for (const b of batches) yield b;
    }
    const asyncModel = buildModel();
    asyncModel.model.setWeights(reference.model.getWeights());
    const r2 = await recalibrateBatchNorm(asyncModel.model, gen(), { maxImages: 7 });
    expect(r2.images).toBe(7);
    for (const other of [sync, asyncModel]) {
      for (const key of ['bn1', 'bn2'] as const) {
        expectClose(movingStats(other[key]).mean, Array.from(movingStats(reference[key]).mean), 1e-6);
        expectClose(movingStats(other[key]).variance, Array.from(movingStats(reference[key]).variance), 1e-6);
      }
    }
    // The caller's batches are still alive (not disposed).
    expect(batches.every((b) => !b.isDisposed)).toBe(true);
    tf.dispose([images, ...batches]);
  });

  it('leaks no tensor and leaves every other weight, and BN’s call, untouched', async () => {
    const { model, bn1, bn2 } = buildModel();
    const images = tf.randomNormal([9, H, W, 2], 0, 1, 'float32', 8);
    const before = snapshot(model);
    const tensors = tf.memory().numTensors;
    await recalibrateBatchNorm(model, images, { batchSize: 4 });
    expect(tf.memory().numTensors).toBe(tensors);
    const after = snapshot(model);
    let moved = 0;
    for (const [name, values] of before) {
      if (/moving_(mean|variance)/.test(name)) {
        moved++;
        expect(after.get(name)).not.toEqual(values);
      } else {
        expect(after.get(name)).toEqual(values); // bit-identical
      }
    }
    expect(moved).toBe(4);
    expect(Object.prototype.hasOwnProperty.call(bn1, 'call')).toBe(false);
    expect(Object.prototype.hasOwnProperty.call(bn2, 'call')).toBe(false);
    // Inference still uses the moving statistics (the restored call): output = BN with them, not batch statistics.
    const single = tf.slice(images, 0, 1);
    const viaModel = tf.tidy(() => (model.predict(single) as tf.Tensor).dataSync());
    const viaModelAgain = tf.tidy(() => (model.predict(single) as tf.Tensor).dataSync());
    expect(Array.from(viaModel)).toEqual(Array.from(viaModelAgain));
    tf.dispose([images, single]);
    model.dispose();
  });

  it('finds BN layers in nested and shared sub-models once each', async () => {
    const inner = tf.sequential({
      layers: [tf.layers.dense({ units: 4, inputShape: [3] }), tf.layers.batchNormalization(), batchNormalization()],
    });
    const input = tf.input({ shape: [3] });
    // The same sub-model applied twice: its two BN layers see both calls' inputs.
    const out = tf.layers.add().apply([inner.apply(input) as tf.SymbolicTensor, inner.apply(input) as tf.SymbolicTensor]);
    const model = tf.model({ inputs: input, outputs: out as tf.SymbolicTensor });
    expect(findBatchNormLayers(model)).toHaveLength(2);
    const x = tf.randomNormal([8, 3], 1, 1, 'float32', 9);
    const report = await recalibrateBatchNorm(model, x);
    expect(report).toEqual({ layers: 2, images: 8 });
    // Both calls see the same input: statistics over 16 identical-pairs = those of the 8 rows, n = 16.
    const dense = inner.layers[0];
    const d = tf.tidy(() => (dense.apply(x) as tf.Tensor).dataSync());
    const pop = population(Float64Array.from([...d, ...d]), 4);
    const bn = inner.layers[1];
    expectClose(movingStats(bn).mean, pop.mean, 1e-5);
    expectClose(movingStats(bn).variance, pop.m2.map((m2) => m2 / (pop.n - 1)), 1e-5);
    x.dispose();
    model.dispose();
  });

  it('handles a BN axis other than the last (channels-first)', async () => {
    const input = tf.input({ shape: [3, 4, 5] });
    const bn = tf.layers.batchNormalization({ axis: 1 });
    const model = tf.model({ inputs: input, outputs: bn.apply(input) as tf.SymbolicTensor });
    const x = tf.randomNormal([2, 3, 4, 5], 4, 2, 'float32', 10);
    await recalibrateBatchNorm(model, x, { varianceCorrection: 'biased' });
    const channelsLast = tf.tidy(() => tf.transpose(x, [0, 2, 3, 1]).dataSync());
    const pop = population(channelsLast, 3);
    expectClose(movingStats(bn).mean, pop.mean, 1e-5);
    expectClose(movingStats(bn).variance, pop.m2.map((m2) => m2 / pop.n), 1e-5);
    x.dispose();
    model.dispose();
  });

  it('keeps the variance exact when |mean| >> std (no E[x^2] - E[x]^2 cancellation in float32)', async () => {
    const input = tf.input({ shape: [4, 4, 2] });
    const bn = batchNormalization({});
    const model = tf.model({ inputs: input, outputs: bn.apply(input) as tf.SymbolicTensor });
    // Mean 3000, std 0.5: in float32, E[x^2] ~ 9e6 has a resolution of ~0.5, the size of the variance itself.
    const x = tf.randomNormal([24, 4, 4, 2], 3000, 0.5, 'float32', 12);
    await recalibrateBatchNorm(model, x, { batchSize: 5 });
    const pop = population(x.dataSync(), 2);
    expectClose(movingStats(bn).mean, pop.mean, 1e-6);
    const variance = movingStats(bn).variance;
    for (let c = 0; c < 2; c++) expect(Math.abs(variance[c] - pop.m2[c] / (pop.n - 1)) / variance[c]).toBeLessThan(1e-3);
    x.dispose();
    model.dispose();
  });

  it('withRecalibratedBatchNorm runs fn with precise statistics, then restores the old ones bit-identically', async () => {
    const { model, bn1 } = buildModel();
    const images = tf.randomNormal([8, H, W, 2], 1, 2, 'float32', 11);
    const before = snapshot(model);
    const tensors = tf.memory().numTensors;
    const inside = await withRecalibratedBatchNorm(model, images, () => Array.from(movingStats(bn1).mean), { batchSize: 4 });
    const want = expected(buildModelLike(model), images, 4);
    expectClose(inside, want.bn1.mean, 1e-5);
    expect(snapshot(model)).toEqual(before);
    await expect(
      withRecalibratedBatchNorm(model, images, () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(snapshot(model)).toEqual(before);
    expect(tf.memory().numTensors).toBe(tensors);
    images.dispose();
    model.dispose();
  });

  it('rejects bad input with clear errors and leaves a model without BN alone', async () => {
    const { model } = buildModel();
    const wrong = tf.zeros([2, H, W, 3]);
    const tensors = tf.memory().numTensors;
    await expect(recalibrateBatchNorm(model, wrong)).rejects.toThrow(/input of shape \[null, 5, 4, 2\].*\[2, 5, 4, 3\]/);
    expect(tf.memory().numTensors).toBe(tensors);
    await expect(recalibrateBatchNorm(model, tf.zeros([0, H, W, 2]))).rejects.toThrow(/no images/);
    await expect(recalibrateBatchNorm(model, [])).rejects.toThrow(/no images/);
    await expect(recalibrateBatchNorm(model, wrong, { batchSize: 0 })).rejects.toThrow(/batchSize/);
    await expect(recalibrateBatchNorm(model, wrong, { varianceCorrection: 'x' as 'biased' })).rejects.toThrow(/varianceCorrection/);
    const plain = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3] })] });
    expect(await recalibrateBatchNorm(plain, tf.zeros([4, 3]))).toEqual({ layers: 0, images: 0 });
    tf.dispose(wrong);
  });
});

/** The parts of a model built by buildModel (found by class), for computing expectations on an existing model. */
function buildModelLike(model: tf.LayersModel): ReturnType<typeof buildModel> {
  const conv = model.layers.find((l) => l.getClassName() === 'Conv2D')!;
  const [bn1, bn2] = findBatchNormLayers(model);
  return { model, conv, bn1, bn2 };
}
