import * as tf from '@tensorflow/tfjs';
import { DropBlockScheduler, findDropBlockLayers, linearSchedule } from '@db/schedule';
import { beforeAll, describe, expect, it } from 'vitest';
import { customNet } from './networks/custom-net.js';
import { densenet } from './networks/densenet.js';
import { resnet50, resnet50Backbone } from './networks/resnet50.js';
import { regularizer } from './regularizer/spec.js';
import { useWasmTraining } from './test-utils/backend.js';
import { tinyBatch } from './test-utils/data.js';
import { regularizerLayers } from './test-utils/inspect.js';

beforeAll(useWasmTraining);

describe('DropBlockScheduler from @db/schedule', () => {
  const dropBlock = regularizer.dropBlock(7, 0.9);
  const networks = [
    ['CustomNet', 3, () => customNet({ inputShape: [32, 32, 3], numClasses: 10, regularizer: dropBlock })],
    ['ResNet-50', 32, () => resnet50({ inputShape: [32, 32, 3], numClasses: 10, regularizer: dropBlock })],
    ['ResNet-50 backbone', 32, () => resnet50Backbone({ inputShape: [64, 64, 3], regularizer: dropBlock })],
    ['DenseNet-121', 116, () => densenet({ inputShape: [28, 28, 1], numClasses: 10, regularizer: dropBlock })],
  ] as const;

  for (const [label, count, build] of networks) {
    it(`finds and drives every DropBlock layer of ${label} (${count})`, () => {
      const model = build();
      const scheduler = new DropBlockScheduler({ schedule: linearSchedule({ target: 0.9 }) });
      const found = scheduler.attach(model);
      const ours = regularizerLayers(model);
      expect(ours).toHaveLength(count);
      expect(found.map((l) => l.name).sort()).toEqual(ours.map((l) => l.name).sort());
      expect(findDropBlockLayers(model)).toHaveLength(count);
      scheduler.update(0);
      expect(found.every((l) => l.keepProb === 1)).toBe(true);
      scheduler.update(1);
      expect(found.every((l) => l.keepProb === 0.9)).toBe(true);
      model.dispose();
    });
  }

  it('lowers keepProb during fit, per batch, to the target at the last step', async () => {
    const model = customNet({ inputShape: [28, 28, 1], numClasses: 10, regularizer: regularizer.dropBlock(3, 0.9), seed: 1 });
    model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
    const batch = tinyBatch(8, [28, 28, 1], 10);
    const scheduler = new DropBlockScheduler({ schedule: linearSchedule({ target: 0.8 }) });
    const history = await model.fit(batch.x, batch.y, { epochs: 2, batchSize: 4, callbacks: [scheduler], verbose: 0 });
    // 2 epochs x 2 batches: progress 0, 1/3, 2/3, 1 -> keepProb 1 ... 0.8; the log holds each epoch's last value.
    expect(history.history['keepProb']).toHaveLength(2);
    expect(history.history['keepProb'][1]).toBeCloseTo(0.8, 12);
    expect(regularizerLayers(model).every((l) => (l as unknown as { keepProb: number }).keepProb === 0.8)).toBe(true);
    tf.dispose([batch.x, batch.y]);
    model.dispose();
  });
});
