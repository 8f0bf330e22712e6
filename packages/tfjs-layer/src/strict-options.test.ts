/**
 * Every public options object of @db/tfjs-layer rejects a key it does not know, naming the nearest valid one
 * (issue 20, item 9): `dropBlock2D({ blockSize: 7, keep_prob: 0.5 })` used to train at the default keepProb 0.9.
 * The layers still take tfjs-layers' own LayerArgs (name, inputShape, trainable, ...).
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DropBlock2D, DropBlock3D, SpatialDropout2D, dropBlock2D, dropBlock2d, dropBlock3D, dropBlock3d, spatialDropout2D } from './index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('options objects of @db/tfjs-layer reject unknown keys', () => {
  const x4 = () => tf.ones([1, 6, 6, 2]) as tf.Tensor4D;
  const x5 = () => tf.ones([1, 4, 4, 4, 2]) as tf.Tensor5D;
  const cases: [string, () => unknown, RegExp][] = [
    ["dropBlock2D({ blockSize: 7, keep_prob: 0.5 })", () => dropBlock2D({ blockSize: 7, keep_prob: 0.5 } as never), /^DropBlock2D args: unknown option 'keep_prob' \(did you mean 'keepProb'\?\)/],
    ["dropBlock2D({ block_size: 7 })", () => dropBlock2D({ block_size: 7 } as never), /^DropBlock2D args: unknown option 'block_size' \(did you mean 'blockSize'\?\)/],
    ['new DropBlock2D', () => new DropBlock2D({ blockSize: 3, sead: 1 } as never), /'sead' \(did you mean 'seed'\?\)/],
    ['dropBlock3D', () => dropBlock3D({ blockSize: 3, data_format: 'channelsLast' } as never), /^DropBlock3D args: unknown option 'data_format' \(did you mean 'dataFormat'\?\)/],
    ['new DropBlock3D', () => new DropBlock3D({ blockSize: 3, sharedChannel: true } as never), /'sharedChannel' \(did you mean 'sharedChannels'\?\)/],
    ['spatialDropout2D', () => spatialDropout2D({ rate: 0.1, rat: 0.2 } as never), /^SpatialDropout2D args: unknown option 'rat' \(did you mean 'rate'\?\)/],
    ['new SpatialDropout2D', () => new SpatialDropout2D({ rate: 0.1, keepProb: 0.9 } as never), /unknown option 'keepProb'/],
    ['dropBlock2d (op)', () => tf.tidy(() => dropBlock2d(x4(), { keepProb: 0.9, blockSize: 3, trainng: true } as never)), /^dropBlock2d options: unknown option 'trainng' \(did you mean 'training'\?\)/],
    ['dropBlock3d (op)', () => tf.tidy(() => dropBlock3d(x5(), { keepProb: 0.9, blockSize: 3, batchWise: true } as never)), /^dropBlock3d options: unknown option 'batchWise' \(did you mean 'batchwise'\?\)/],
  ];
  for (const [name, call, message] of cases) {
    it(name, () => {
      expect(call).toThrow(TypeError);
      expect(call).toThrow(message);
    });
  }

  it("still takes tfjs-layers' LayerArgs and every documented option", () => {
    const base = { name: 'db', trainable: false, inputShape: [6, 6, 2], batchSize: 1, dtype: 'float32' as const };
    expect(dropBlock2D({ ...base, blockSize: 3, keepProb: 0.8, seed: 1, dataFormat: 'channelsLast', sharedChannels: true, batchwise: false }).keepProb).toBe(0.8);
    expect(dropBlock3D({ name: 'db3', batchInputShape: [1, 4, 4, 4, 2], blockSize: 2 }).blockSize).toBe(2);
    expect(spatialDropout2D({ ...base, rate: 0.1, seed: 2, dataFormat: 'channelsFirst' }).rate).toBe(0.1);
    const y = tf.tidy(() => dropBlock2d(x4(), { keepProb: 0.9, blockSize: 3, training: false, seed: 1, dataFormat: 'channelsLast', sharedChannels: false, batchwise: true }));
    expect(y.shape).toEqual([1, 6, 6, 2]);
    y.dispose();
  });

  it('SpatialDropout2D.fromConfig accepts only its config and the keys Keras writes for every layer', async () => {
    const model = tf.sequential({ layers: [spatialDropout2D({ inputShape: [4, 4, 2], rate: 0.25, seed: 3 })] });
    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved!));
    expect((loaded.layers[0] as SpatialDropout2D).rate).toBe(0.25);
    const topology = JSON.parse(JSON.stringify(saved!.modelTopology)) as { config: { layers: { config: Record<string, unknown> }[] } };
    topology.config.layers[0].config['rates'] = 0.5;
    await expect(tf.loadLayersModel(tf.io.fromMemory({ ...saved!, modelTopology: topology }))).rejects.toThrow(/unknown option 'rates' \(did you mean 'rate'\?\)/);
  });
});
