import * as tf from '@tensorflow/tfjs';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useFastestBackend } from '../select/use-fastest-backend.js';
import { fileSystem, ModelFileError, registerFileSystemRouters } from './file-system.js';

const root = mkdtempSync(join(tmpdir(), 'db-backend-io-'));
let n = 0;
/** A fresh directory path under this file's temp root (not created). */
const fresh = () => join(root, `m${n++}`);

/** A small conv + dense model with fixed weights, compiled with Adam so it carries a training config. */
function smallModel(): tf.LayersModel {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [6, 6, 2], filters: 3, kernelSize: 3, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 4, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }), biasInitializer: 'ones' }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
  return model;
}

const input = () => tf.randomNormal([5, 6, 6, 2], 0, 1, 'float32', 3);

function predict(model: tf.LayersModel): Float32Array {
  return tf.tidy(() => (model.predict(input()) as tf.Tensor).dataSync() as Float32Array);
}

describe('file:// save and load handlers', () => {
  beforeAll(async () => {
    await useFastestBackend({ force: 'wasm', wasmThreads: 1, log: () => undefined });
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("model.save('file://...') and tf.loadLayersModel('file://.../model.json') work after useFastestBackend (wasm)", async () => {
    expect(tf.getBackend()).toBe('wasm');
    const dir = fresh();
    const model = smallModel();
    const result = await model.save(`file://${dir}`);
    expect(result.modelArtifactsInfo.weightDataBytes).toBe(4 * (3 * 3 * 2 * 3 + 3 + 48 * 4 + 4));
    const loaded = await tf.loadLayersModel(`file://${join(dir, 'model.json')}`);
    // Same weights, same backend, same kernels: bit-identical predictions.
    expect(Array.from(predict(loaded))).toEqual(Array.from(predict(model)));
    model.dispose();
    loaded.dispose();
  });

  it("writes tfjs-node's layout: model.json (its fields) and weights.bin (the weights' bytes in manifest order), nothing else", async () => {
    const dir = fresh();
    const model = smallModel();
    await model.save(fileSystem(dir));
    expect(readdirSync(dir).sort()).toEqual(['model.json', 'weights.bin']);
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    expect(Object.keys(json).sort()).toEqual(['convertedBy', 'format', 'generatedBy', 'modelTopology', 'weightsManifest']);
    expect(json.format).toBe('layers-model');
    expect(json.generatedBy).toMatch(/^TensorFlow\.js tfjs-layers v4\.22\.0$/);
    expect(json.convertedBy).toBeNull();
    expect(json.modelTopology.class_name).toBe('Sequential');
    expect(json.weightsManifest).toHaveLength(1);
    expect(json.weightsManifest[0].paths).toEqual(['weights.bin']);
    const specs = json.weightsManifest[0].weights as { name: string; shape: number[]; dtype: string }[];
    expect(specs.map((s) => s.shape)).toEqual([[3, 3, 2, 3], [3], [48, 4], [4]]);
    const bin = readFileSync(join(dir, 'weights.bin'));
    const floats = new Float32Array(bin.buffer, bin.byteOffset, bin.byteLength / 4);
    const expected = model.getWeights().flatMap((w) => Array.from(w.dataSync()));
    expect(Array.from(floats)).toEqual(expected);
    model.dispose();
  });

  it('saves and restores the optimizer state and training config (includeOptimizer), loading from the directory too', async () => {
    const dir = fresh();
    const model = smallModel();
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 0], 'int32'), 4);
    await model.fit(input(), y, { epochs: 1, verbose: 0 });
    await model.save(fileSystem(dir), { includeOptimizer: true });
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    expect(json.trainingConfig.loss).toBe('categorical_crossentropy');
    expect(json.weightsManifest[0].weights.length).toBeGreaterThan(4); // the model's 4 plus Adam's moments and step
    const loaded = await tf.loadLayersModel(fileSystem(dir));
    expect(loaded.optimizer).not.toBeNull();
    expect(Array.from(predict(loaded))).toEqual(Array.from(predict(model)));
    tf.dispose([y]);
    model.dispose();
    loaded.dispose();
  });

  it('overwrites a previous save in place, leaving no temp files', async () => {
    const dir = fresh();
    const a = smallModel();
    await a.save(fileSystem(dir));
    const b = smallModel();
    tf.tidy(() => b.setWeights(b.getWeights().map((w) => tf.mul(w, 2))));
    await b.save(fileSystem(dir));
    expect(readdirSync(dir).sort()).toEqual(['model.json', 'weights.bin']);
    const loaded = await tf.loadLayersModel(fileSystem(join(dir, 'model.json')));
    expect(Array.from(predict(loaded))).toEqual(Array.from(predict(b)));
    [a, b, loaded].forEach((m) => m.dispose());
  });

  it('a save that fails leaves no partial or temp file behind', async () => {
    const dir = fresh();
    mkdirSync(join(dir, 'model.json'), { recursive: true }); // model.json cannot be replaced: the rename fails
    const model = smallModel();
    await expect(model.save(fileSystem(dir))).rejects.toThrow();
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    // Weights inconsistent with their specs: refused before anything is written.
    const empty = fresh();
    const handler = fileSystem(empty);
    await expect(
      handler.save!({ modelTopology: {}, weightSpecs: [{ name: 'w', shape: [4], dtype: 'float32' }], weightData: new ArrayBuffer(8) }),
    ).rejects.toThrow(/weightData has 8 bytes, weightSpecs describe 16/);
    expect(readdirSync(empty)).toEqual([]);
    model.dispose();
  });

  it('refuses to save into a path that is a file, naming it', async () => {
    const file = join(root, 'a-file');
    writeFileSync(file, 'x');
    const model = smallModel();
    await expect(model.save(fileSystem(file))).rejects.toThrow(`saving to file://${file}: the path exists and is not a directory`);
    model.dispose();
  });

  it('names the file when loading a missing model, a corrupt model.json, or missing / truncated weights', async () => {
    const missing = join(root, 'nothing-here');
    await expect(tf.loadLayersModel(fileSystem(join(missing, 'model.json')))).rejects.toThrow(ModelFileError);
    await expect(tf.loadLayersModel(`file://${missing}/model.json`)).rejects.toThrow(`file://${missing}/model.json: the path does not exist`);

    const dir = fresh();
    const model = smallModel();
    await model.save(fileSystem(dir));
    model.dispose();
    const jsonPath = join(dir, 'model.json');
    const good = readFileSync(jsonPath, 'utf8');
    const bin = readFileSync(join(dir, 'weights.bin'));

    writeFileSync(join(dir, 'weights.bin'), bin.subarray(0, bin.byteLength - 4));
    await expect(tf.loadLayersModel(fileSystem(jsonPath))).rejects.toThrow(
      `loading weights ${join(dir, 'weights.bin')}: ${bin.byteLength - 4} bytes, but ${jsonPath} describes ${bin.byteLength}`,
    );
    rmSync(join(dir, 'weights.bin'));
    await expect(tf.loadLayersModel(fileSystem(jsonPath))).rejects.toThrow(`loading weights ${join(dir, 'weights.bin')}: does not exist`);

    writeFileSync(jsonPath, good.slice(0, good.length / 2));
    await expect(tf.loadLayersModel(fileSystem(jsonPath))).rejects.toThrow(`loading model JSON ${jsonPath}: not valid JSON`);
    writeFileSync(jsonPath, '{"format":"layers-model"}');
    await expect(tf.loadLayersModel(fileSystem(jsonPath))).rejects.toThrow(/has no 'modelTopology'/);
    expect(() => fileSystem('')).toThrow(TypeError);
  });

  it('registers its routers only where no file:// handler exists (idempotent)', () => {
    expect(tf.io.getSaveHandlers('file:///x')).toHaveLength(1);
    expect(tf.io.getLoadHandlers('file:///x/model.json')).toHaveLength(1);
    expect(registerFileSystemRouters()).toEqual({ save: false, load: false });
    expect(tf.io.getSaveHandlers('file:///x')).toHaveLength(1);
  });
});
