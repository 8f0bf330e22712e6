import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { customNet } from './networks/custom-net.js';
import { densenet } from './networks/densenet.js';
import { resnet50 } from './networks/resnet50.js';
import { regularizer } from './regularizer/spec.js';
import { useWasmTraining } from './test-utils/backend.js';
import { sameValues, tinyBatch } from './test-utils/data.js';
import { regularizerLayers } from './test-utils/inspect.js';

/** Saves `model` to memory and loads it back, as `model.save` / `tf.loadLayersModel` would through files. */
async function roundTrip(model: tf.LayersModel): Promise<tf.LayersModel> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return tf.loadLayersModel(tf.io.fromMemory(saved!));
}

async function expectSamePredictions(model: tf.LayersModel, loaded: tf.LayersModel, x: tf.Tensor): Promise<void> {
  const a = tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync() as Float32Array);
  const b = tf.tidy(() => (loaded.predict(x) as tf.Tensor).dataSync() as Float32Array);
  expect(b.length).toBe(a.length);
  expect(sameValues(a, b)).toBe(true);
}

function regularizerConfigs(model: tf.LayersModel) {
  return regularizerLayers(model).map((l) => {
    const { name, ...config } = l.getConfig();
    // Saved configs write absent options (Dropout's seed, noiseShape) as null.
    const normalized = JSON.parse(JSON.stringify(config, (_k, v: unknown) => (v === undefined ? null : v))) as unknown;
    return { cls: l.getClassName(), name, config: normalized };
  });
}

beforeAll(useWasmTraining);

describe('save and load', () => {
  const cases = [
    ['CustomNet + Dropout(0.25)', () => customNet({ inputShape: [32, 32, 3], numClasses: 10, regularizer: regularizer.dropout(0.25) })],
    [
      'CustomNet + SpatialDropout(0.7)',
      () => customNet({ inputShape: [28, 28, 1], numClasses: 10, regularizer: regularizer.spatialDropout(0.7), seed: 2 }),
    ],
    [
      'DenseNet-121 + SpatialDropout(0.3)',
      () => densenet({ inputShape: [28, 28, 1], numClasses: 10, regularizer: regularizer.spatialDropout(0.3), seed: 3 }),
    ],
    [
      'DenseNet-121 + DropBlock(3, 0.9)',
      () => densenet({ inputShape: [32, 32, 3], numClasses: 10, regularizer: regularizer.dropBlock(3, 0.9), seed: 4 }),
    ],
    [
      'ResNet-50 + DropBlock(7, 0.9)',
      () => resnet50({ inputShape: [32, 32, 3], numClasses: 10, regularizer: regularizer.dropBlock(7, 0.9), seed: 5 }),
    ],
  ] as const;

  for (const [label, build] of cases) {
    it(`${label} round-trips with the same predictions and regulariser settings`, async () => {
      const model = build();
      const shape = model.inputs[0].shape.slice(1) as number[];
      const x = tf.randomUniform([2, ...shape], 0, 1, 'float32', 9);
      const loaded = await roundTrip(model);
      expect(loaded.countParams()).toBe(model.countParams());
      expect(loaded.layers.map((l) => l.name)).toEqual(model.layers.map((l) => l.name));
      expect(regularizerConfigs(loaded)).toEqual(regularizerConfigs(model));
      await expectSamePredictions(model, loaded, x);
      x.dispose();
      model.dispose();
      loaded.dispose();
    });
  }

  it('a loaded model keeps training (DropBlock layers active in fit)', async () => {
    const model = customNet({ inputShape: [28, 28, 1], numClasses: 10, regularizer: regularizer.dropBlock(3, 0.9), seed: 6 });
    const loaded = await roundTrip(model);
    const batch = tinyBatch(4, [28, 28, 1], 10);
    loaded.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
    const losses: number[] = [];
    for (let i = 0; i < 3; i++) losses.push((await loaded.trainOnBatch(batch.x, batch.y)) as number);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[2]).toBeLessThan(losses[0]);
    tf.dispose([batch.x, batch.y]);
    model.dispose();
    loaded.dispose();
  });
});
