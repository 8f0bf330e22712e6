import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resnet50, resnet50Backbone, RESNET50_STAGE_BLOCKS, type ResNetOptions } from '../networks/resnet50.js';
import { regularizer } from '../regularizer/spec.js';
import { useWasmTraining } from '../test-utils/backend.js';
import { sameValues, weightValues } from '../test-utils/data.js';
import { writeKerasH5, type LayerToWrite } from '../test-utils/keras-h5-writer.js';
import { h5wasm, memoryFs, scratchPath } from './hdf5.js';
import { loadKerasWeights } from './keras-h5.js';
import { KERAS_RESNET50_NOTOP_WEIGHTS, kerasApplicationsName } from './keras-resnet50.js';

const EPSILON = KERAS_RESNET50_NOTOP_WEIGHTS.batchNormEpsilon;
const ONE_BLOCK = [1, 1, 1, 1] as const;
const dir = mkdtempSync(join(tmpdir(), 'keras-h5-'));

beforeAll(useWasmTraining);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Keras 2.2.5+ ResNet50's weighted layers, in Keras' build order, with the @db/models layer each corresponds to.
 * Written out from keras/src/applications/resnet.py (stack `conv{stage}`, blocks `_block{1..n}`, components `_0`
 * (shortcut, first block only) to `_3`) and keras-applications 1.0's resnet50.py (`res{stage}{a..}_branch{1,2a,2b,2c}`),
 * independently of the loader's own mapping.
 */
function kerasResNetPairs(stageBlocks: readonly number[]): Array<{ keras: string; ours: string }> {
  const pairs = [
    { keras: 'conv1_conv', ours: 'conv1' },
    { keras: 'conv1_bn', ours: 'bn_conv1' },
  ];
  stageBlocks.forEach((blocks, s) => {
    const stage = s + 2;
    for (let b = 0; b < blocks; b++) {
      const letter = 'abcdef'[b];
      const components: Array<[number, string]> = [[1, '2a'], [2, '2b'], [3, '2c']];
      if (b === 0) components.unshift([0, '1']);
      for (const [k, branch] of components) {
        pairs.push({ keras: `conv${stage}_block${b + 1}_${k}_conv`, ours: `res${stage}${letter}_branch${branch}` });
        pairs.push({ keras: `conv${stage}_block${b + 1}_${k}_bn`, ours: `bn${stage}${letter}_branch${branch}` });
      }
    }
  });
  return pairs;
}

/** A layer of `model` as a layer of the file, under `fileName`, with its current values. */
function layerToWrite(model: tf.LayersModel, ours: string, fileName: string): LayerToWrite {
  return {
    name: fileName,
    weights: model.getLayer(ours).weights.map((w) => ({
      name: w.originalName.split('/').pop()!,
      shape: w.shape as number[],
      data: w.read().dataSync() as Float32Array,
    })),
  };
}

/** Gives every BatchNormalization of `model` seeded random gamma, beta, moving mean and variance (not 1, 0, 0, 1). */
function randomizeBatchNorms(model: tf.LayersModel, seed: number): void {
  model.layers
    .filter((l) => l.getClassName() === 'BatchNormalization')
    .forEach((layer, i) => {
      const [n] = layer.weights[0].shape as number[];
      const values = tf.tidy(() => [
        tf.randomUniform([n], 0.5, 1.5, 'float32', seed + 4 * i),
        tf.randomNormal([n], 0, 0.1, 'float32', seed + 4 * i + 1),
        tf.randomNormal([n], 0, 0.1, 'float32', seed + 4 * i + 2),
        tf.randomUniform([n], 0.5, 1.5, 'float32', seed + 4 * i + 3),
      ]);
      layer.setWeights(values);
      tf.dispose(values);
    });
}

/** A source network with random weights everywhere, and its weighted layers written with our (old Keras) names. */
function sourceNet(options: Partial<ResNetOptions> = {}): { model: tf.LayersModel; layers: LayerToWrite[] } {
  const model = resnet50Backbone({ inputShape: [32, 32, 3], stageBlocks: ONE_BLOCK, seed: 1, ...options });
  randomizeBatchNorms(model, 100);
  const layers = model.layers.filter((l) => l.weights.length > 0).map((l) => layerToWrite(model, l.name, l.name));
  return { model, layers };
}

function expectWeightsEqual(actual: tf.LayersModel, expected: Map<string, Float32Array>, only?: (name: string) => boolean) {
  const got = weightValues(actual);
  let compared = 0;
  for (const [name, values] of expected) {
    if (only && !only(name.split('/')[0])) continue;
    expect(sameValues(got.get(name)!, values), name).toBe(true);
    compared++;
  }
  return compared;
}

function predictFlat(model: tf.LayersModel, x: tf.Tensor): Float32Array {
  return tf.tidy(() => {
    const out = model.predict(x);
    return tf.concat((Array.isArray(out) ? out : [out]).map((t) => t.flatten())).dataSync() as Float32Array;
  });
}

describe('loadKerasWeights', () => {
  it("loads all of ResNet-50 from a file in Keras' current layout and names: exact weights, Keras' predictions", async () => {
    const options = { inputShape: [64, 64, 3] as const, batchNormEpsilon: EPSILON };
    const source = resnet50Backbone({ ...options, seed: 1 });
    randomizeBatchNorms(source, 7);
    const pairs = kerasResNetPairs(RESNET50_STAGE_BLOCKS);
    expect(pairs).toHaveLength(106); // 53 convs and 53 BNs
    // Keras lists every layer, weightless ones too (conv1_pad, conv1_relu, ..., conv5_block3_out).
    const layers: LayerToWrite[] = [
      { name: 'input_1', weights: [] },
      { name: 'conv1_pad', weights: [] },
      ...pairs.map((p) => layerToWrite(source, p.ours, p.keras)),
      { name: 'conv5_block3_out', weights: [] },
    ];
    const bytes = await writeKerasH5(layers);

    // A DropBlock form with other initial weights: at inference DropBlock is the identity, so after loading it
    // computes exactly what the source computes.
    const target = resnet50Backbone({ ...options, seed: 2, regularizer: regularizer.dropBlock(7, 0.9) });
    const x = tf.randomUniform([2, 64, 64, 3], -1, 1, 'float32', 3);
    const expected = predictFlat(source, x);
    expect(sameValues(predictFlat(target, x), expected)).toBe(false);
    const tensors = tf.memory().numTensors;

    const report = await loadKerasWeights(target, bytes);

    expect(tf.memory().numTensors).toBe(tensors);
    expect(report.loaded).toHaveLength(106);
    expect(report.loaded).toContainEqual({ layer: 'conv1', fileLayer: 'conv1_conv' });
    expect(report.loaded).toContainEqual({ layer: 'bn_conv1', fileLayer: 'conv1_bn' });
    expect(report.loaded).toContainEqual({ layer: 'res2a_branch1', fileLayer: 'conv2_block1_0_conv' });
    expect(report.loaded).toContainEqual({ layer: 'bn4f_branch2c', fileLayer: 'conv4_block6_3_bn' });
    expect(report.loaded).toContainEqual({ layer: 'res5c_branch2b', fileLayer: 'conv5_block3_2_conv' });
    expect(report).toMatchObject({ skipped: [], missing: [], unused: [] });
    // 53 x (kernel, bias) + 53 x (gamma, beta, moving_mean, moving_variance), every value identical.
    expect(expectWeightsEqual(target, weightValues(source))).toBe(53 * 2 + 53 * 4);
    expect(sameValues(predictFlat(target, x), expected)).toBe(true);
    tf.dispose(x);
    source.dispose();
    target.dispose();
  });

  it('loads the older keras-applications names (ours) from a whole-model file with chunked layer_names, by path or bytes', async () => {
    const { model: source, layers } = sourceNet();
    const bytes = await writeKerasH5(layers, { underModelWeights: true, layerNameChunks: 3 });
    const path = join(dir, 'whole-model.h5');
    writeFileSync(path, bytes);
    const expected = weightValues(source);
    for (const input of [path, bytes.slice().buffer]) {
      const target = resnet50Backbone({ inputShape: [32, 32, 3], stageBlocks: ONE_BLOCK, seed: 5 });
      const report = await loadKerasWeights(target, input);
      expect(report.loaded.every((l) => l.layer === l.fileLayer)).toBe(true);
      expect(report.loaded).toHaveLength(layers.length);
      expect(expectWeightsEqual(target, expected)).toBe(expected.size);
      target.dispose();
    }
    source.dispose();
  });

  it("names the layer and both shapes when the stem differs, leaves the model unchanged, and skipMismatch skips it", async () => {
    const { model: source, layers } = sourceNet();
    const bytes = await writeKerasH5(layers);
    const target = resnet50Backbone({ inputShape: [32, 32, 3], stageBlocks: ONE_BLOCK, seed: 5, stem: 'small' });
    const before = weightValues(target);
    await expect(loadKerasWeights(target, bytes)).rejects.toThrow(
      new RangeError(
        "the given " + bytes.length + " bytes does not fit the model: layer 'conv1': weight conv1/kernel has shape " +
          '[3,3,3,64] in the model and [7,7,3,64] in the file (conv1/kernel:0) (skipMismatch skips it)',
      ),
    );
    expect(expectWeightsEqual(target, before)).toBe(before.size);

    const report = await loadKerasWeights(target, bytes, { skipMismatch: true });
    expect(report.skipped).toEqual([
      {
        layer: 'conv1',
        fileLayer: 'conv1',
        reason: "layer 'conv1': weight conv1/kernel has shape [3,3,3,64] in the model and [7,7,3,64] in the file (conv1/kernel:0)",
      },
    ]);
    expect(report.loaded).toHaveLength(layers.length - 1);
    expect(report.unused).toEqual(['conv1']);
    const fromFile = weightValues(source);
    expect(expectWeightsEqual(target, fromFile, (layer) => layer !== 'conv1')).toBe(fromFile.size - 2);
    expect(expectWeightsEqual(target, before, (layer) => layer === 'conv1')).toBe(2);
    // One input channel changes conv1's kernel too: [7, 7, 1, 64].
    const gray = resnet50Backbone({ inputShape: [32, 32, 1], stageBlocks: ONE_BLOCK });
    await expect(loadKerasWeights(gray, bytes)).rejects.toThrow(/\[7,7,1,64\] in the model and \[7,7,3,64\] in the file/);
    source.dispose();
    target.dispose();
    gray.dispose();
  });

  it('rejects a file that lacks model layers unless strict is false, which loads the rest; a classifier head stays', async () => {
    const { model: source, layers } = sourceNet();
    const bytes = await writeKerasH5(layers.filter((l) => !/^(res|bn)5/.test(l.name)));
    const target = resnet50Backbone({ inputShape: [32, 32, 3], stageBlocks: ONE_BLOCK, seed: 5 });
    const before = weightValues(target);
    // In model.layers order (topological: the shortcut conv follows the main path's last conv).
    const stage5 = ['res5a_branch2a', 'bn5a_branch2a', 'res5a_branch2b', 'bn5a_branch2b', 'res5a_branch2c', 'res5a_branch1'];
    await expect(loadKerasWeights(target, bytes)).rejects.toThrow(
      `the given ${bytes.length} bytes lacks 8 layer(s) of the model 'resnet50_backbone': ${stage5.join(', ')}, bn5a_branch2c, bn5a_branch1 ` +
        '(strict: false keeps their current weights)',
    );
    expect(expectWeightsEqual(target, before)).toBe(before.size);

    const report = await loadKerasWeights(target, bytes, { strict: false });
    expect(report.missing).toEqual([...stage5, 'bn5a_branch2c', 'bn5a_branch1']);
    const isStage5 = (layer: string) => /^(res|bn)5/.test(layer);
    expect(expectWeightsEqual(target, before, isStage5)).toBe(4 * 2 + 4 * 4); // 4 convs, 4 BNs
    const fromFile = weightValues(source);
    expect(expectWeightsEqual(target, fromFile, (l) => !isStage5(l))).toBe(before.size - 24);

    // The same notop file into a classifier: everything but the new Dense head.
    const classifier = resnet50({ inputShape: [32, 32, 3], numClasses: 10, stageBlocks: ONE_BLOCK });
    const full = await writeKerasH5(layers);
    await expect(loadKerasWeights(classifier, full)).rejects.toThrow(/lacks 1 layer\(s\) of the model 'resnet50': predictions/);
    const classified = await loadKerasWeights(classifier, full, { strict: false });
    expect(classified.missing).toEqual(['predictions']);
    expect(classified.loaded).toHaveLength(layers.length);
    source.dispose();
    target.dispose();
    classifier.dispose();
  });

  it('names the layer and both weight counts when they differ', async () => {
    const { model: source, layers } = sourceNet();
    const cut = layers.map((l) => (l.name === 'bn_conv1' ? { ...l, weights: l.weights.slice(0, 2) } : l));
    const target = resnet50Backbone({ inputShape: [32, 32, 3], stageBlocks: ONE_BLOCK });
    await expect(loadKerasWeights(target, await writeKerasH5(cut))).rejects.toThrow(
      "layer 'bn_conv1' has 4 weight(s) (bn_conv1/gamma, bn_conv1/beta, bn_conv1/moving_mean, " +
        'bn_conv1/moving_variance), the file 2 (bn_conv1/gamma:0, bn_conv1/beta:0)',
    );
    source.dispose();
    target.dispose();
  });

  it('rejects what is not a Keras weights file for this model, naming it', async () => {
    const model = resnet50Backbone({ inputShape: [32, 32, 3], stageBlocks: ONE_BLOCK });
    const notHdf5 = new TextEncoder().encode('<html>404 Not Found</html>');
    await expect(loadKerasWeights(model, notHdf5)).rejects.toThrow(
      new TypeError(
        'the given 26 bytes is not an HDF5 file: no HDF5 signature (\\x89HDF\\r\\n\\x1a\\n) at byte 0, 512, 1024, ... of its 26 bytes',
      ),
    );
    const htmlPath = join(dir, 'page.h5');
    writeFileSync(htmlPath, notHdf5);
    await expect(loadKerasWeights(model, htmlPath)).rejects.toThrow(`${htmlPath} is not an HDF5 file`);
    await expect(loadKerasWeights(model, join(dir, 'absent.h5'))).rejects.toThrow(
      `cannot read the Keras weights file ${join(dir, 'absent.h5')}: ENOENT`,
    );
    const valid = await writeKerasH5([{ name: 'dense', weights: [{ name: 'kernel', shape: [2, 1], data: new Float32Array(2) }] }]);
    await expect(loadKerasWeights(model, valid.slice(0, 600))).rejects.toThrow(/not a readable HDF5 file \(truncated or corrupt\)/);
    await expect(loadKerasWeights(model, valid)).rejects.toThrow(
      new TypeError(
        `the given ${valid.length} bytes has no layer of the model 'resnet50_backbone': model layers conv1, bn_conv1, ` +
          'res2a_branch2a, bn2a_branch2a, res2a_branch2b, bn2a_branch2b, res2a_branch2c, res2a_branch1, ... (34 in all); ' +
          'file layers dense',
      ),
    );
    // An HDF5 file that is not a Keras weights file.
    const plain = await writeKerasH5([], {});
    const h5 = await h5wasm();
    const fs = await memoryFs();
    const path = scratchPath();
    const file = new h5.File(path, 'w');
    file.create_dataset({ name: 'data', data: new Float32Array([1, 2]) });
    file.close();
    const other = fs.readFile(path);
    fs.unlink(path);
    await expect(loadKerasWeights(model, other)).rejects.toThrow(
      /is an HDF5 file but not a Keras weights file: it has no 'layer_names' attribute at \/ or \/model_weights/,
    );
    await expect(loadKerasWeights(model, plain)).rejects.toThrow(/has no layer of the model.*file layers \(none with weights\)/);
    await expect(loadKerasWeights(model, 42 as never)).rejects.toThrow(
      new TypeError('source must be a file path, a Uint8Array or an ArrayBuffer, got 42'),
    );
    await expect(loadKerasWeights({} as never, valid)).rejects.toThrow(/model must be a TF.js LayersModel/);
    model.dispose();
  });
});

describe('KERAS_RESNET50_NOTOP_WEIGHTS and the Keras names', () => {
  it("maps @db/models' ResNet names to Keras 2.2.5+ names", () => {
    expect(kerasApplicationsName('conv1')).toBe('conv1_conv');
    expect(kerasApplicationsName('bn_conv1')).toBe('conv1_bn');
    expect(kerasApplicationsName('res3d_branch2b')).toBe('conv3_block4_2_conv');
    expect(kerasApplicationsName('bn2a_branch1')).toBe('conv2_block1_0_bn');
    // Blocks beyond 26 (stageBlocks up to any count) are `_<index>` in resnet50.ts.
    expect(kerasApplicationsName('res4_26_branch2c')).toBe('conv4_block27_3_conv');
    for (const name of ['C3', 'predictions', 'res3d_branch2b_relu', 'res3d_add']) expect(kerasApplicationsName(name)).toBeUndefined();
  });

  it("describes Keras' release asset for a downloader", () => {
    const w = KERAS_RESNET50_NOTOP_WEIGHTS;
    expect(w.urls[0]).toBe(w.url);
    for (const url of w.urls) expect(url.startsWith('https://') && url.endsWith(`/${w.fileName}`), url).toBe(true);
    expect(w.checksum.algorithm).toBe('md5');
    expect(w.checksum.hex).toMatch(/^[0-9a-f]{32}$/);
  });
});
