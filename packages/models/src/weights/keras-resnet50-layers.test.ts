import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { resnet50Backbone } from '../networks/resnet50.js';
import { useWasmTraining } from '../test-utils/backend.js';
import { writeKerasH5, type LayerToWrite } from '../test-utils/keras-h5-writer.js';
import { loadKerasWeights } from './keras-h5.js';
import { kerasApplicationsName } from './keras-resnet50.js';

beforeAll(useWasmTraining);

/**
 * Every layer of Keras' `keras.applications.ResNet50(include_top=False)`, in its build order, with the shapes of its
 * weights, written from Keras' own definition (keras/src/applications/resnet.py: `ResNet` builds `conv1_pad`,
 * `conv1_conv` (7x7, 64, with bias), `conv1_bn`, `conv1_relu`, `pool1_pad`, `pool1_pool`, then `stack_residual_blocks_v1`
 * conv2..conv5 with 64/128/256/512 filters and 3/4/6/3 blocks; `residual_block_v1` adds `_0_conv`/`_0_bn` (1x1,
 * 4 x filters, first block only), `_1_conv` (1x1), `_2_conv` (3x3), `_3_conv` (1x1, 4 x filters), each with bias and
 * a BN (gamma, beta, moving_mean, moving_variance), then `_add` and `_out`), not from @db/models' layers: the
 * shapes here are Keras', so a shape @db/models got wrong would fail to load.
 */
function kerasResNet50NotopLayers(stageBlocks: readonly number[] = [3, 4, 6, 3]): Array<{ name: string; weights: Array<{ name: string; shape: number[] }> }> {
  const conv = (name: string, k: number, cin: number, cout: number) => ({
    name,
    weights: [
      { name: 'kernel', shape: [k, k, cin, cout] },
      { name: 'bias', shape: [cout] },
    ],
  });
  const bn = (name: string, c: number) => ({
    name,
    weights: ['gamma', 'beta', 'moving_mean', 'moving_variance'].map((w) => ({ name: w, shape: [c] })),
  });
  const none = (name: string) => ({ name, weights: [] });
  const layers = [none('input_1'), none('conv1_pad'), conv('conv1_conv', 7, 3, 64), bn('conv1_bn', 64), none('conv1_relu'), none('pool1_pad'), none('pool1_pool')];
  let channels = 64;
  [64, 128, 256, 512].forEach((filters, s) => {
    const blocks = stageBlocks[s];
    for (let b = 1; b <= blocks; b++) {
      const name = `conv${s + 2}_block${b}`;
      if (b === 1) layers.push(conv(`${name}_0_conv`, 1, channels, 4 * filters), bn(`${name}_0_bn`, 4 * filters));
      layers.push(conv(`${name}_1_conv`, 1, channels, filters), bn(`${name}_1_bn`, filters), none(`${name}_1_relu`));
      layers.push(conv(`${name}_2_conv`, 3, filters, filters), bn(`${name}_2_bn`, filters), none(`${name}_2_relu`));
      layers.push(conv(`${name}_3_conv`, 1, filters, 4 * filters), bn(`${name}_3_bn`, 4 * filters), none(`${name}_add`), none(`${name}_out`));
      channels = 4 * filters;
    }
  });
  return layers;
}

/** The layers with seeded values (a linear congruential generator: fast for 23.5M numbers, distinct per weight). */
function withValues(layers: ReturnType<typeof kerasResNet50NotopLayers>): LayerToWrite[] {
  let state = 12345;
  return layers.map((l) => ({
    name: l.name,
    weights: l.weights.map((w) => {
      const data = new Float32Array(w.shape.reduce((a, b) => a * b, 1));
      for (let i = 0; i < data.length; i++) {
        state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
        data[i] = state / 2 ** 32 - 0.5;
      }
      return { ...w, data };
    }),
  }));
}

describe("loadKerasWeights on Keras' ResNet50(include_top=False) layer list", () => {
  it('has 53 convs and 53 BNs among its 175 layers, and every one lands in resnet50Backbone', async () => {
    const layers = withValues(kerasResNet50NotopLayers());
    const byName = new Map(layers.map((l) => [l.name, l]));
    expect(layers).toHaveLength(175);
    expect(layers.filter((l) => l.name.endsWith('_conv'))).toHaveLength(53);
    expect(layers.filter((l) => l.name.endsWith('_bn'))).toHaveLength(53);
    const backbone = resnet50Backbone({ inputShape: [32, 32, 3], seed: 4 });
    const report = await loadKerasWeights(backbone, await writeKerasH5(layers));
    expect(report.loaded).toHaveLength(106);
    expect(report).toMatchObject({ skipped: [], missing: [], unused: [] });
    // Every weight of the model, by its Keras name, holds the file's values.
    let placed = 0;
    for (const layer of backbone.layers) {
      if (layer.weights.length === 0) continue;
      const file = byName.get(kerasApplicationsName(layer.name) ?? '');
      expect(file, layer.name).toBeDefined();
      layer.weights.forEach((w, i) => {
        expect(w.shape, `${layer.name} ${w.name}`).toEqual(file!.weights[i].shape);
        const got = w.read().dataSync() as Float32Array;
        expect(got.every((v, j) => v === file!.weights[i].data[j]), `${layer.name} ${w.name}`).toBe(true);
        placed++;
      });
    }
    expect(placed).toBe(53 * 2 + 53 * 4);
    tf.dispose(backbone.weights.map((w) => w.read()));
  }, 120_000);

  it('a wrong-shaped layer or a missing layer is an error naming it (Keras and model names)', async () => {
    // One block per stage (the same names and shapes, fewer of them) keeps the files small.
    const short = withValues(kerasResNet50NotopLayers([1, 1, 1, 1]));
    const backbone = resnet50Backbone({ inputShape: [32, 32, 3], stageBlocks: [1, 1, 1, 1], seed: 4 });
    expect((await loadKerasWeights(backbone, await writeKerasH5(short))).loaded).toHaveLength(4 * 8 + 2);
    const wrong = short.map((l) =>
      l.name === 'conv3_block1_2_conv' ? { ...l, weights: [{ ...l.weights[0], shape: [3, 3, 128, 64], data: l.weights[0].data.subarray(0, 3 * 3 * 128 * 64) }, l.weights[1]] } : l,
    );
    await expect(loadKerasWeights(backbone, await writeKerasH5(wrong))).rejects.toThrow(
      "layer 'res3a_branch2b' (file layer 'conv3_block1_2_conv'): weight res3a_branch2b/kernel has shape [3,3,128,128] in the " +
        'model and [3,3,128,64] in the file (conv3_block1_2_conv/kernel:0)',
    );
    const missing = short.filter((l) => l.name !== 'conv4_block1_3_bn');
    await expect(loadKerasWeights(backbone, await writeKerasH5(missing))).rejects.toThrow(/lacks 1 layer\(s\) of the model 'resnet50_backbone': bn4a_branch2c/);
    tf.dispose(backbone.weights.map((w) => w.read()));
  }, 120_000);
});
