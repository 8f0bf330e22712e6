import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { KERAS_RESNET50_NOTOP_WEIGHTS, resnet50Backbone } from '@db/models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The Keras HDF5 writer @db/models' own loader tests use (test code, not part of its API).
import { writeKerasH5 } from '../../../models/src/test-utils/keras-h5-writer.js';
import { imagenetBackboneFile, loadBackboneWeights } from './backbone-weights.js';

const dir = mkdtempSync(path.join(tmpdir(), 'backbone-weights-'));
beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("backboneWeights: 'imagenet'", () => {
  it('offline, with nothing cached, fails naming the URL and the --backbone-weights PATH way', async () => {
    const cacheDir = path.join(dir, 'empty');
    const error = await imagenetBackboneFile({ cacheDir, download: false }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toContain(KERAS_RESNET50_NOTOP_WEIGHTS.url);
    expect(message).toContain('--backbone-weights PATH');
    expect(message).toContain(path.join(cacheDir, 'keras', KERAS_RESNET50_NOTOP_WEIGHTS.fileName));
    expect(message).toContain(KERAS_RESNET50_NOTOP_WEIGHTS.checksum.hex);
  });

  it('does not use a cached file whose md5 differs (offline: the same error)', async () => {
    const cacheDir = path.join(dir, 'damaged');
    mkdirSync(path.join(cacheDir, 'keras'), { recursive: true });
    writeFileSync(path.join(cacheDir, 'keras', KERAS_RESNET50_NOTOP_WEIGHTS.fileName), 'not the weights');
    await expect(imagenetBackboneFile({ cacheDir, download: false })).rejects.toThrow(/downloads are off.*--backbone-weights PATH/s);
  });
});

describe('loadBackboneWeights', () => {
  it('loads a Keras file by path into the backbone, every layer, and describes it', async () => {
    const source = resnet50Backbone({ inputShape: [32, 32, 3], stageBlocks: [1, 1, 1, 1], seed: 1 });
    const layers = source.layers
      .filter((l) => l.weights.length > 0)
      .map((l) => ({
        name: l.name,
        weights: l.weights.map((w) => ({ name: w.originalName.split('/').pop()!, shape: w.shape as number[], data: w.read().dataSync() as Float32Array })),
      }));
    const file = path.join(dir, 'small.h5');
    writeFileSync(file, await writeKerasH5(layers));
    const target = resnet50Backbone({ inputShape: [32, 32, 3], stageBlocks: [1, 1, 1, 1], seed: 2 });
    const description = await loadBackboneWeights(target, file);
    expect(description).toBe(`${file} (${layers.length} layers loaded)`);
    target.weights.forEach((w, i) => expect(Array.from(w.read().dataSync()), w.name).toEqual(Array.from(source.weights[i].read().dataSync())));
    // A file that misses a layer of the model is an error naming it (here: a deeper backbone than the file).
    const deeper = resnet50Backbone({ inputShape: [32, 32, 3], stageBlocks: [2, 1, 1, 1], seed: 2 });
    await expect(loadBackboneWeights(deeper, file)).rejects.toThrow(/lacks \d+ layer\(s\) of the model 'resnet50_backbone': res2b_branch2a/);
    tf.dispose([source, target, deeper].map((m) => m.weights.map((w) => w.read())).flat());
  });

  it('passes the backbone to a function, and names a missing file or a bad value', async () => {
    const backbone = resnet50Backbone({ inputShape: [32, 32, 3], stageBlocks: [1, 1, 1, 1] });
    let seen: unknown;
    expect(await loadBackboneWeights(backbone, async (m) => void (seen = m))).toBe('custom (backboneWeights function)');
    expect(seen).toBe(backbone);
    await expect(loadBackboneWeights(backbone, path.join(dir, 'nope.h5'))).rejects.toThrow(`backboneWeights: no file at ${path.join(dir, 'nope.h5')}`);
    await expect(loadBackboneWeights(backbone, 42 as never)).rejects.toThrow(/backboneWeights must be 'imagenet', the path/);
  });
});
