import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { dropBlock2D, dropBlock3D } from '@db/tfjs-layer';
import {
  DropBlockScheduler,
  constantSchedule,
  findDropBlockLayers,
  linearSchedule,
  setKeepProb,
  stepwiseSchedule,
  trainingProgress,
  type DropBlockLayer,
} from './index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

afterEach(() => {
  vi.restoreAllMocks();
});

const H = 8;
const SAMPLES = 10;
const BATCH = 4;
const STEPS_PER_EPOCH = Math.ceil(SAMPLES / BATCH); // 3: fit makes batches of 4, 4, 2

let modelCount = 0;

/**
 * conv -> DropBlock2D 'db_outer' -> nested Sequential [conv -> DropBlock2D 'db_inner'] -> flatten -> dense.
 * The layers start at keepProb 0.5 so a scheduler that does nothing is visible.
 */
function buildModel(): tf.Sequential {
  const id = modelCount++;
  const inner = tf.sequential({
    name: `inner_${id}`,
    layers: [
      tf.layers.conv2d({ inputShape: [H, H, 2], filters: 2, kernelSize: 3, padding: 'same' }),
      dropBlock2D({ blockSize: 3, keepProb: 0.5, seed: 7, name: 'db_inner' }),
    ],
  });
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [H, H, 1], filters: 2, kernelSize: 3, padding: 'same' }),
      dropBlock2D({ blockSize: 3, keepProb: 0.5, seed: 3, name: 'db_outer' }),
      inner,
      tf.layers.flatten(),
      tf.layers.dense({ units: 2, activation: 'softmax' }),
    ],
  });
  model.compile({ optimizer: tf.train.sgd(0.01), loss: 'categoricalCrossentropy' });
  return model;
}

function data(): { xs: tf.Tensor4D; ys: tf.Tensor2D } {
  return tf.tidy(() => ({
    xs: tf.randomNormal([SAMPLES, H, H, 1], 0, 1, 'float32', 1) as tf.Tensor4D,
    ys: tf.oneHot(tf.tensor1d([0, 1, 0, 1, 0, 1, 0, 1, 0, 1], 'int32'), 2).asType('float32') as tf.Tensor2D,
  }));
}

/** A callback placed after the scheduler: records every layer's keepProb as the batch starts (i.e. as used). */
function probe(layers: () => readonly DropBlockLayer[]) {
  const perBatch: number[][] = [];
  const cb = new tf.CustomCallback({
    onBatchBegin: () => {
      perBatch.push(layers().map((l) => l.keepProb));
    },
  });
  return { cb, perBatch };
}

/** A layer of buildModel()'s model by name, via tfjs' own getLayer (independent of the code under test). */
const byName = (model: tf.LayersModel, name: string): DropBlockLayer => {
  const holder = name === 'db_inner' ? (model.layers[2] as tf.Sequential) : model;
  return holder.getLayer(name) as unknown as DropBlockLayer;
};

describe('findDropBlockLayers', () => {
  it('finds DropBlock layers at top level and inside a nested model, by type, in order', () => {
    const model = buildModel();
    expect(findDropBlockLayers(model).map((l) => l.name)).toEqual(['db_outer', 'db_inner']);
    model.dispose();
  });

  it('finds them in a functional model nesting a Sequential, each once even if the nested model is reused', () => {
    const nested = tf.sequential({
      layers: [dropBlock2D({ blockSize: 2, keepProb: 0.9, inputShape: [4, 4, 1], name: 'shared_db' })],
    });
    const input = tf.input({ shape: [4, 4, 1] });
    const a = nested.apply(input) as tf.SymbolicTensor;
    const b = nested.apply(a) as tf.SymbolicTensor;
    const c = dropBlock2D({ blockSize: 2, keepProb: 0.9, name: 'top_db' }).apply(b) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: c });
    expect(findDropBlockLayers(model).map((l) => l.name)).toEqual(['shared_db', 'top_db']);
    model.dispose();
  });

  it('finds a DropBlock layer inside a wrapper layer (TimeDistributed)', () => {
    const model = tf.sequential({
      layers: [
        tf.layers.timeDistributed({
          layer: dropBlock2D({ blockSize: 2, keepProb: 0.9, name: 'wrapped_db' }),
          inputShape: [3, 4, 4, 1],
        }),
      ],
    });
    expect(findDropBlockLayers(model).map((l) => l.name)).toEqual(['wrapped_db']);
    model.dispose();
  });

  it('finds DropBlock3D layers too', () => {
    const model = tf.sequential({
      layers: [dropBlock3D({ blockSize: 2, keepProb: 0.9, inputShape: [4, 4, 4, 1], name: 'db3d' })],
    });
    expect(findDropBlockLayers(model).map((l) => [l.name, l.getClassName()])).toEqual([['db3d', 'DropBlock3D']]);
    model.dispose();
  });

  it('returns an empty list for a model without DropBlock layers', () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [2] })] });
    expect(findDropBlockLayers(model)).toEqual([]);
    model.dispose();
  });
});

describe('DropBlockScheduler in model.fit (cpu backend)', () => {
  it('per batch: 1.0 on the first step, the target on the last, linear in between, in every layer', async () => {
    const model = buildModel();
    const { xs, ys } = data();
    const scheduler = new DropBlockScheduler({ schedule: linearSchedule({ target: 0.8 }) });
    const { cb, perBatch } = probe(() => scheduler.dropBlockLayers);
    const history = await model.fit(xs, ys, { epochs: 2, batchSize: BATCH, callbacks: [scheduler, cb], verbose: 0 });

    const total = 2 * STEPS_PER_EPOCH;
    expect(perBatch).toHaveLength(total);
    perBatch.forEach((values, step) => {
      const expected = 1 - (0.2 * step) / (total - 1);
      for (const v of values) expect(v).toBeCloseTo(expected, 12);
    });
    expect(perBatch[0]).toEqual([1, 1]);
    expect(perBatch[total - 1]).toEqual([0.8, 0.8]);
    // The layers keep the target after training; the epoch logs carry the value at each epoch's end.
    expect(byName(model, 'db_outer').keepProb).toBe(0.8);
    expect(byName(model, 'db_inner').keepProb).toBe(0.8);
    expect(scheduler.currentKeepProb).toBe(0.8);
    expect(history.history.keepProb).toHaveLength(2);
    expect(history.history.keepProb[0] as number).toBeCloseTo(1 - (0.2 * 2) / 5, 12);
    expect(history.history.keepProb[1]).toBe(0.8);
    tf.dispose([xs, ys]);
    model.dispose();
  });

  it('per epoch: one value per epoch, 1.0 first and the target last', async () => {
    const model = buildModel();
    const { xs, ys } = data();
    const scheduler = new DropBlockScheduler({ schedule: linearSchedule({ target: 0.8 }), granularity: 'epoch' });
    const { cb, perBatch } = probe(() => scheduler.dropBlockLayers);
    const history = await model.fit(xs, ys, { epochs: 3, batchSize: BATCH, callbacks: [scheduler, cb], verbose: 0 });

    expect(perBatch).toHaveLength(3 * STEPS_PER_EPOCH);
    const expectedPerEpoch = [1, 0.9, 0.8];
    perBatch.forEach((values, i) => {
      const epoch = Math.floor(i / STEPS_PER_EPOCH);
      for (const v of values) expect(v).toBeCloseTo(expectedPerEpoch[epoch], 12);
    });
    expect(perBatch[perBatch.length - 1]).toEqual([0.8, 0.8]);
    expect(history.history.keepProb.map(Number).map((v) => Math.round(v * 1e9) / 1e9)).toEqual(expectedPerEpoch);
    tf.dispose([xs, ys]);
    model.dispose();
  });

  it('applies a per-layer scale to the drop rate (official TF ResNet: group 3 drops 4x less)', async () => {
    const model = buildModel();
    const { xs, ys } = data();
    const scheduler = new DropBlockScheduler({
      schedule: linearSchedule({ target: 0.8 }),
      scale: { db_inner: 0.25 },
    });
    const { cb, perBatch } = probe(() => scheduler.dropBlockLayers);
    await model.fit(xs, ys, { epochs: 1, batchSize: BATCH, callbacks: [scheduler, cb], verbose: 0 });

    expect(scheduler.dropBlockLayers.map((l) => l.name)).toEqual(['db_outer', 'db_inner']);
    perBatch.forEach(([outer, inner], step) => {
      const base = 1 - (0.2 * step) / (STEPS_PER_EPOCH - 1);
      expect(outer).toBeCloseTo(base, 12);
      expect(inner).toBeCloseTo(1 - (1 - base) / 4, 12);
    });
    expect(perBatch[0]).toEqual([1, 1]);
    expect(byName(model, 'db_inner').keepProb).toBeCloseTo(0.95, 12);
    tf.dispose([xs, ys]);
    model.dispose();
  });

  it('a scale function gets each layer and its index', async () => {
    const model = buildModel();
    const { xs, ys } = data();
    const seen: string[] = [];
    const scheduler = new DropBlockScheduler({
      schedule: constantSchedule(0.9),
      scale: (layer, index) => {
        seen.push(`${index}:${layer.name}`);
        return index === 0 ? 2 : 0;
      },
    });
    await model.fit(xs, ys, { epochs: 1, batchSize: BATCH, callbacks: [scheduler], verbose: 0 });
    expect(seen).toEqual(['0:db_outer', '1:db_inner']);
    expect(byName(model, 'db_outer').keepProb).toBeCloseTo(0.8, 12);
    expect(byName(model, 'db_inner').keepProb).toBe(1);
    tf.dispose([xs, ys]);
    model.dispose();
  });

  it('continues the schedule when fit resumes at initialEpoch', async () => {
    const model = buildModel();
    const { xs, ys } = data();
    const scheduler = new DropBlockScheduler({ schedule: linearSchedule({ target: 0.8 }) });
    const { cb, perBatch } = probe(() => scheduler.dropBlockLayers);
    await model.fit(xs, ys, { epochs: 2, initialEpoch: 1, batchSize: BATCH, callbacks: [scheduler, cb], verbose: 0 });
    const total = 2 * STEPS_PER_EPOCH;
    expect(perBatch.map(([v]) => v)).toEqual(
      [3, 4, 5].map((s) => expect.closeTo(1 - (0.2 * s) / (total - 1), 12)) as unknown as number[],
    );
    tf.dispose([xs, ys]);
    model.dispose();
  });

  it('with an explicit totalSteps, counts batches itself across fit calls until reset()', async () => {
    const model = buildModel();
    const { xs, ys } = data();
    const total = 2 * STEPS_PER_EPOCH;
    const scheduler = new DropBlockScheduler({ schedule: linearSchedule({ target: 0.8 }), totalSteps: total });
    const { cb, perBatch } = probe(() => scheduler.dropBlockLayers);
    await model.fit(xs, ys, { epochs: 1, batchSize: BATCH, callbacks: [scheduler, cb], verbose: 0 });
    await model.fit(xs, ys, { epochs: 1, batchSize: BATCH, callbacks: [scheduler, cb], verbose: 0 });
    expect(perBatch).toHaveLength(total);
    perBatch.forEach(([v], step) => expect(v).toBeCloseTo(1 - (0.2 * step) / (total - 1), 12));
    expect(perBatch[total - 1][0]).toBe(0.8);
    scheduler.reset();
    expect(scheduler.currentKeepProb).toBeNull();
    await model.fit(xs, ys, { epochs: 1, batchSize: BATCH, callbacks: [scheduler, cb], verbose: 0 });
    expect(perBatch[total][0]).toBe(1);
    tf.dispose([xs, ys]);
    model.dispose();
  });

  it('with an explicit totalSteps / totalEpochs, a fresh scheduler resumed at initialEpoch continues the ramp', async () => {
    // 3 batches per epoch, 9 steps in all: resuming at epoch 2 runs steps 6, 7, 8 of a 1.0 -> 0.9 ramp.
    const model = buildModel();
    const { xs, ys } = data();
    const perStep = new DropBlockScheduler({ schedule: linearSchedule({ target: 0.9 }), totalSteps: 9 });
    const { cb, perBatch } = probe(() => perStep.dropBlockLayers);
    await model.fit(xs, ys, { epochs: 3, initialEpoch: 2, batchSize: BATCH, callbacks: [perStep, cb], verbose: 0 });
    expect(perBatch.map(([v]) => Math.round(v * 1e9) / 1e9)).toEqual([0.925, 0.9125, 0.9]);
    // The count goes on from there in a later call, as without initialEpoch.
    expect(perStep.currentKeepProb).toBe(0.9);

    const perEpoch = new DropBlockScheduler({ schedule: linearSchedule({ target: 0.9 }), granularity: 'epoch', totalEpochs: 3 });
    const epochProbe = probe(() => perEpoch.dropBlockLayers);
    await model.fit(xs, ys, { epochs: 3, initialEpoch: 2, batchSize: SAMPLES, callbacks: [perEpoch, epochProbe.cb], verbose: 0 });
    expect(epochProbe.perBatch.map(([v]) => Math.round(v * 1e9) / 1e9)).toEqual([0.9]);
    tf.dispose([xs, ys]);
    model.dispose();
  });

  it('per epoch with an explicit totalEpochs, counts epochs across fit calls', async () => {
    const model = buildModel();
    const { xs, ys } = data();
    const scheduler = new DropBlockScheduler({
      schedule: linearSchedule({ target: 0.7 }),
      granularity: 'epoch',
      totalEpochs: 4,
    });
    const { cb, perBatch } = probe(() => scheduler.dropBlockLayers);
    for (let i = 0; i < 4; i++) {
      await model.fit(xs, ys, { epochs: 1, batchSize: SAMPLES, callbacks: [scheduler, cb], verbose: 0 });
    }
    expect(perBatch.map(([v]) => Math.round(v * 1e9) / 1e9)).toEqual([1, 0.9, 0.8, 0.7]);
    tf.dispose([xs, ys]);
    model.dispose();
  });

  it('asks for totalSteps when fitDataset cannot tell the number of batches', async () => {
    const model = buildModel();
    const { xs, ys } = data();
    // A generator dataset has no known size, and no batchesPerEpoch is given.
    const dataset = tf.data.generator(function* () {
      yield { xs, ys };
    });
    const scheduler = new DropBlockScheduler({ schedule: linearSchedule({ target: 0.9 }) });
    await expect(model.fitDataset(dataset, { epochs: 1, callbacks: [scheduler], verbose: 0 })).rejects.toThrow(
      /cannot tell the number of batches per epoch.*pass totalSteps/,
    );
    tf.dispose([xs, ys]);
    model.dispose();
  });

  it('takes steps per epoch from fitDataset (dataset size)', async () => {
    const model = buildModel();
    const { xs, ys } = data();
    const xRows = tf.unstack(xs);
    const yRows = tf.unstack(ys);
    const dataset = tf.data.zip({ xs: tf.data.array(xRows), ys: tf.data.array(yRows) }).batch(BATCH);
    const scheduler = new DropBlockScheduler({
      schedule: stepwiseSchedule({ boundaries: [0.5], values: [1, 0.9] }),
    });
    const { cb, perBatch } = probe(() => scheduler.dropBlockLayers);
    await model.fitDataset(dataset as unknown as tf.data.Dataset<tf.TensorContainer>, {
      epochs: 2,
      callbacks: [scheduler, cb],
      verbose: 0,
    });
    // 6 steps, progress s/5: steps 0..2 before the boundary (progress < 0.5), 3..5 after.
    expect(perBatch.map(([v]) => v)).toEqual([1, 1, 1, 0.9, 0.9, 0.9]);
    tf.dispose([xs, ys, ...xRows, ...yRows]);
    model.dispose();
  });

  it('does not leak tensors over repeated scheduled training', async () => {
    const model = buildModel();
    const { xs, ys } = data();
    const scheduler = new DropBlockScheduler({ schedule: linearSchedule({ target: 0.8 }) });
    // Warm-up fit: the optimizer creates its state once.
    await model.fit(xs, ys, { epochs: 1, batchSize: BATCH, callbacks: [scheduler], verbose: 0 });
    const before = tf.memory().numTensors;
    await model.fit(xs, ys, { epochs: 2, batchSize: BATCH, callbacks: [scheduler], verbose: 0 });
    await model.fit(xs, ys, { epochs: 2, batchSize: BATCH, callbacks: [scheduler], verbose: 0 });
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([xs, ys]);
    model.dispose();
  });
});

describe('DropBlockScheduler without DropBlock layers', () => {
  const plainModel = () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [2] })] });
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    return model;
  };

  it('warns once and leaves training alone by default', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const model = plainModel();
    const xs = tf.ones([4, 2]);
    const ys = tf.ones([4, 1]);
    const scheduler = new DropBlockScheduler({ schedule: linearSchedule({ target: 0.9 }) });
    const h1 = await model.fit(xs, ys, { epochs: 2, batchSize: 2, callbacks: [scheduler], verbose: 0 });
    await model.fit(xs, ys, { epochs: 1, batchSize: 2, callbacks: [scheduler], verbose: 0 });
    const ours = warn.mock.calls.filter((c) => String(c[0]).includes('DropBlockScheduler'));
    expect(ours).toHaveLength(1);
    expect(String(ours[0][0])).toMatch(/no DropBlock layer/);
    expect(h1.history.loss).toHaveLength(2);
    expect(h1.history.keepProb).toBeUndefined();
    expect(scheduler.currentKeepProb).toBeNull();
    tf.dispose([xs, ys]);
    model.dispose();
  });

  it("is silent with onMissingLayers 'ignore' and throws with 'throw'", async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const model = plainModel();
    const xs = tf.ones([4, 2]);
    const ys = tf.ones([4, 1]);
    const quiet = new DropBlockScheduler({ schedule: linearSchedule({ target: 0.9 }), onMissingLayers: 'ignore' });
    await model.fit(xs, ys, { epochs: 1, batchSize: 2, callbacks: [quiet], verbose: 0 });
    expect(warn.mock.calls.filter((c) => String(c[0]).includes('DropBlockScheduler'))).toHaveLength(0);
    const strict = new DropBlockScheduler({ schedule: linearSchedule({ target: 0.9 }), onMissingLayers: 'throw' });
    await expect(model.fit(xs, ys, { epochs: 1, batchSize: 2, callbacks: [strict], verbose: 0 })).rejects.toThrow(
      /no DropBlock layer/,
    );
    tf.dispose([xs, ys]);
    model.dispose();
  });
});

describe('manual use (custom training loops)', () => {
  it('update(progress) sets every layer, and the layer honours the new keepProb on its next call', () => {
    const model = buildModel();
    const scheduler = new DropBlockScheduler({ schedule: linearSchedule({ target: 0.5 }), scale: { db_inner: 0.5 } });
    expect(() => scheduler.update(0)).toThrow(/attach\(model\) first/);
    expect(scheduler.attach(model).map((l) => l.name)).toEqual(['db_outer', 'db_inner']);
    expect(scheduler.update(trainingProgress(5, 11))).toBeCloseTo(0.75, 12);
    expect(byName(model, 'db_outer').keepProb).toBeCloseTo(0.75, 12);
    expect(byName(model, 'db_inner').keepProb).toBeCloseTo(0.875, 12);

    const outer = byName(model, 'db_outer');
    const x = tf.ones([2, H, H, 2]);
    scheduler.update(0);
    const atStart = outer.apply(x, { training: true }) as tf.Tensor;
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(atStart, x))).dataSync()[0])).toBe(0); // keepProb 1: identity
    scheduler.update(1);
    const atEnd = outer.apply(x, { training: true }) as tf.Tensor;
    // keepProb 0.5 on 2x8x8x2 units: some block is dropped (a unit is 0, possibly -0 after the rescale).
    expect(Math.abs(tf.tidy(() => tf.min(atEnd).dataSync()[0]))).toBe(0);
    tf.dispose([x, atStart, atEnd]);
    model.dispose();
  });

  it('rejects a schedule value outside (0, 1] and a progress outside [0, 1]', () => {
    const model = buildModel();
    const scheduler = new DropBlockScheduler({ schedule: () => 1.5 });
    scheduler.attach(model);
    expect(() => scheduler.update(0.5)).toThrow(/schedule\(0\.5\) must return a keepProb: a number in \(0, 1\], got 1\.5/);
    expect(() => scheduler.update(-0.5)).toThrow(/progress must be a number in \[0, 1\]/);
    model.dispose();
  });

  it('setKeepProb sets a fixed value, scaled per layer', () => {
    const model = buildModel();
    const set = setKeepProb(model, 0.7, new Map([['db_inner', 0.5]]));
    expect(set.map((l) => l.name)).toEqual(['db_outer', 'db_inner']);
    expect(byName(model, 'db_outer').keepProb).toBeCloseTo(0.7, 12);
    expect(byName(model, 'db_inner').keepProb).toBeCloseTo(0.85, 12);
    expect(() => setKeepProb(model, 0)).toThrow(/keepProb must be a number in \(0, 1\], got 0/);
    expect(() => setKeepProb(model, 0.9, { nope: 1 })).toThrow(/scale names 'nope'/);
    model.dispose();
  });
});

describe('DropBlockScheduler options', () => {
  const schedule = linearSchedule({ target: 0.9 });
  it('rejects bad options, naming them', () => {
    expect(() => new DropBlockScheduler({ schedule: 0.9 as never })).toThrow(/schedule must be a function/);
    expect(() => new DropBlockScheduler({ schedule, granularity: 'step' as never })).toThrow(/granularity/);
    expect(() => new DropBlockScheduler({ schedule, totalSteps: 0 })).toThrow(/totalSteps must be a positive integer/);
    expect(() => new DropBlockScheduler({ schedule, totalSteps: 10, granularity: 'epoch' })).toThrow(/totalSteps/);
    expect(() => new DropBlockScheduler({ schedule, totalEpochs: 3 })).toThrow(/totalEpochs/);
    expect(() => new DropBlockScheduler({ schedule, logKey: '' })).toThrow(/logKey/);
    expect(() => new DropBlockScheduler({ schedule, onMissingLayers: 'x' as never })).toThrow(/onMissingLayers/);
    expect(() => new DropBlockScheduler({ schedule, scale: 3 as never })).toThrow(/scale must be/);
  });

  it('fails at the start of training when a scale names no DropBlock layer', async () => {
    const model = buildModel();
    const { xs, ys } = data();
    const scheduler = new DropBlockScheduler({ schedule, scale: { group3: 0.25 } });
    await expect(model.fit(xs, ys, { epochs: 1, batchSize: BATCH, callbacks: [scheduler], verbose: 0 })).rejects.toThrow(
      /scale names 'group3'/,
    );
    tf.dispose([xs, ys]);
    model.dispose();
  });
});
