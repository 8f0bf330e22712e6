import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { sum64 } from '../test-utils/helpers.js';
import { DropBlock2D, DropBlock3D, dropBlock2D, dropBlock2d, dropBlock3D, isDropBlockLayer, spatialDropout2D } from '../index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

/** Layer.apply copies an input it returns unchanged, so identity is checked on values. */
function sameValues(a: tf.Tensor | tf.Tensor[] | tf.SymbolicTensor | tf.SymbolicTensor[], b: tf.Tensor): boolean {
  const t = a as tf.Tensor;
  return t.shape.join() === b.shape.join() && Array.from(t.dataSync()).every((v, i) => v === b.dataSync()[i]);
}

function tinyModel(): tf.Sequential {
  const model = tf.sequential();
  model.add(tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 3, kernelSize: 3, padding: 'same', activation: 'relu' }));
  model.add(dropBlock2D({ blockSize: 3, keepProb: 0.8, seed: 17, name: 'db' }));
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: 2, activation: 'softmax' }));
  model.compile({ optimizer: tf.train.sgd(0.05), loss: 'categoricalCrossentropy' });
  return model;
}

describe('DropBlock2D layer', () => {
  it('drops only when kwargs.training is true', () => {
    const layer = new DropBlock2D({ blockSize: 3, keepProb: 0.6, seed: 1 });
    const x = tf.ones([2, 10, 10, 3]);
    const x2 = tf.randomNormal([2, 10, 10, 3]);
    const inference = layer.apply(x2) as tf.Tensor;
    expect(sameValues(inference, x2)).toBe(true);
    const inferenceExplicit = layer.apply(x2, { training: false }) as tf.Tensor;
    expect(sameValues(inferenceExplicit, x2)).toBe(true);
    tf.dispose([x2, inference, inferenceExplicit]);
    const train = layer.apply(x, { training: true }) as tf.Tensor;
    const d = train.dataSync();
    expect(d.some((v) => v === 0)).toBe(true);
    expect(Math.abs(sum64(d) - x.size) / x.size).toBeLessThan(1e-5);
    tf.dispose([x, train]);
  });

  it('a fixed seed is reproducible across layers but gives a new mask at every training step', () => {
    const a = dropBlock2D({ blockSize: 3, keepProb: 0.7, seed: 5 });
    const b = dropBlock2D({ blockSize: 3, keepProb: 0.7, seed: 5 });
    const x = tf.ones([2, 12, 12, 2]);
    const [a1, a2, b1, b2] = tf.tidy(() =>
      [a, a, b, b].map((l) => Array.from((l.apply(x, { training: true }) as tf.Tensor).dataSync())),
    );
    expect(a1).toEqual(b1);
    expect(a2).toEqual(b2);
    expect(a1).not.toEqual(a2);
    x.dispose();
  });

  it('has a settable, validated keepProb and a fixed blockSize', () => {
    const layer = dropBlock2D({ blockSize: 5 });
    expect(layer.keepProb).toBe(0.9); // documented default
    layer.keepProb = 0.75;
    expect(layer.keepProb).toBe(0.75);
    expect(layer.getConfig()['keepProb']).toBe(0.75);
    expect(() => {
      layer.keepProb = 0;
    }).toThrow(/keepProb/);
    expect(layer.blockSize).toBe(5);
    // keepProb 1 turns the layer into an identity even in training.
    layer.keepProb = 1;
    const x = tf.ones([1, 6, 6, 1]);
    expect(sameValues(layer.apply(x, { training: true }), x)).toBe(true);
    x.dispose();
  });

  it('serialises its config', () => {
    const layer = dropBlock2D({ blockSize: 7, keepProb: 0.85, seed: 3, dataFormat: 'channelsFirst', sharedChannels: true, name: 'd7' });
    const c = layer.getConfig();
    expect(c).toMatchObject({ blockSize: 7, keepProb: 0.85, seed: 3, dataFormat: 'channelsFirst', sharedChannels: true, batchwise: false, name: 'd7' });
    expect(DropBlock2D.className).toBe('DropBlock2D');
    expect(layer.getClassName()).toBe('DropBlock2D');
  });

  it('trains with fit, saves and loads with identical inference output', async () => {
    const model = tinyModel();
    const xs = tf.randomUniform([16, 8, 8, 1], 0, 1, 'float32', 1);
    const ys = tf.oneHot(tf.tensor1d([0, 1, 0, 1, 1, 0, 0, 1, 1, 1, 0, 0, 1, 0, 1, 0], 'int32'), 2);
    const history = await model.fit(xs, ys, { epochs: 3, batchSize: 8, verbose: 0 });
    expect(history.history['loss'].every((l) => Number.isFinite(l as number))).toBe(true);

    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        saved = artifacts;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    expect(JSON.stringify(saved?.modelTopology)).toContain('"class_name":"DropBlock2D"');
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved as tf.io.ModelArtifacts));
    const restored = loaded.getLayer('db');
    expect(restored).toBeInstanceOf(DropBlock2D);
    expect((restored as DropBlock2D).keepProb).toBe(0.8);
    expect((restored as DropBlock2D).blockSize).toBe(3);

    const p1 = model.predict(xs) as tf.Tensor;
    const p2 = loaded.predict(xs) as tf.Tensor;
    expect(Array.from(p2.dataSync())).toEqual(Array.from(p1.dataSync()));
    tf.dispose([xs, ys, p1, p2]);
    model.dispose();
    loaded.dispose();
  }, 30_000);

  it('leaks no tensors over repeated training steps', async () => {
    const model = tinyModel();
    const xs = tf.randomUniform([8, 8, 8, 1], 0, 1, 'float32', 2);
    const ys = tf.oneHot(tf.tensor1d([0, 1, 0, 1, 1, 0, 0, 1], 'int32'), 2);
    await model.trainOnBatch(xs, ys); // creates optimizer slots
    const before = tf.memory().numTensors;
    for (let i = 0; i < 4; i++) await model.trainOnBatch(xs, ys);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([xs, ys]);
    model.dispose();
  }, 30_000);

  it('rejects bad arguments with errors naming them', () => {
    expect(() => dropBlock2D({ blockSize: 0 })).toThrow(/blockSize/);
    expect(() => dropBlock2D({ blockSize: 3, keepProb: 1.5 })).toThrow(/keepProb/);
    expect(() => dropBlock2D({ blockSize: 3, dataFormat: 'NCHW' as never })).toThrow(/dataFormat/);
    const layer = dropBlock2D({ blockSize: 3 });
    expect(() => layer.apply(tf.ones([2, 4, 4, 4, 1]), { training: true })).toThrow();
  });

  it('argument errors follow the shared style: TypeError naming the type, RangeError showing the number', () => {
    const x = tf.ones([1, 4, 4, 1]) as tf.Tensor4D;
    const cases: [() => unknown, ErrorConstructor, string][] = [
      [() => dropBlock2D({ blockSize: 3, keepProb: '0.9' as never }), TypeError, "keepProb must be a number in (0, 1], got the string '0.9'"],
      [() => dropBlock2D({ blockSize: 3, keepProb: 0 }), RangeError, 'keepProb must be a number in (0, 1], got 0'],
      [() => dropBlock2D({ blockSize: '3' as never }), TypeError, "blockSize must be a positive integer, got the string '3'"],
      [() => spatialDropout2D({ rate: '0.1' as never }), TypeError, "rate must be a number in [0, 1), got the string '0.1'"],
      [() => spatialDropout2D({ rate: 1 }), RangeError, 'rate must be a number in [0, 1), got 1'],
      [() => dropBlock2d(x, { keepProb: 0.9, blockSize: 2, training: 'yes' as never }), TypeError, "training must be a boolean, got the string 'yes'"],
    ];
    for (const [fn, type, message] of cases) {
      expect(fn).toThrow(type);
      expect(fn).toThrow(message);
    }
    x.dispose();
  });
});

describe('DropBlock3D layer', () => {
  it('drops in training, passes through at inference, round-trips its config', () => {
    const layer = dropBlock3D({ blockSize: 2, keepProb: 0.7, seed: 1 });
    const x = tf.ones([1, 4, 5, 6, 2]);
    expect(sameValues(layer.apply(x), x)).toBe(true);
    const y = layer.apply(x, { training: true }) as tf.Tensor;
    expect(y.shape).toEqual(x.shape);
    expect(y.dataSync().some((v) => v === 0)).toBe(true);
    const again = tf.serialization.SerializationMap.getMap().classNameMap['DropBlock3D'];
    expect(again).toBeDefined();
    const clone = DropBlock3D.fromConfig(DropBlock3D, layer.getConfig()) as DropBlock3D;
    expect(clone.keepProb).toBe(0.7);
    expect(clone.blockSize).toBe(2);
    tf.dispose([x, y]);
  });
});

describe('isDropBlockLayer', () => {
  it('recognises DropBlock2D and DropBlock3D only', () => {
    expect(isDropBlockLayer(dropBlock2D({ blockSize: 3 }))).toBe(true);
    expect(isDropBlockLayer(dropBlock3D({ blockSize: 3 }))).toBe(true);
    expect(isDropBlockLayer(spatialDropout2D({ rate: 0.1 }))).toBe(false);
    expect(isDropBlockLayer(tf.layers.dropout({ rate: 0.1 }))).toBe(false);
    expect(isDropBlockLayer(null)).toBe(false);
    expect(isDropBlockLayer({ keepProb: 0.9 })).toBe(false);
  });
});
