/**
 * Keras models with another package's DropBlock2D load with ours (issue 20, item 12). Each model.json below is
 * what tfjs-converter writes for a Keras model (format "layers-model": modelTopology with keras_version, backend
 * and model_config), the layer's config being that package's `get_config()` output, snake_case as Keras writes it:
 *
 * - keras-cv `keras_cv.layers.DropBlock2D(rate, block_size, seed)` (keras_cv/layers/regularization/dropblock_2d.py):
 *   get_config writes `rate` (the drop probability), `block_size` as a (height, width) pair and `seed`; its noise
 *   has the input's shape, so every channel has its own mask; channels-last only.
 * - CyberZHG's keras-drop-block `DropBlock2D(block_size, keep_prob, sync_channels, data_format)`
 *   (keras_drop_block/drop_block.py): `sync_channels` True means one mask shared by all channels; `data_format`
 *   null means channels-last.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DropBlock2D } from '../index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

/** A tfjs-converter model.json of a Keras 2 Sequential model: an input of `inputShape`, then `layer`. */
function sequentialJson(layer: { class_name: string; config: Record<string, unknown> }, inputShape: number[]) {
  return {
    format: 'layers-model',
    generatedBy: 'keras v2.13.1',
    convertedBy: 'TensorFlow.js Converter v4.22.0',
    modelTopology: {
      keras_version: '2.13.1',
      backend: 'tensorflow',
      model_config: {
        class_name: 'Sequential',
        config: {
          name: 'sequential',
          layers: [
            {
              class_name: 'InputLayer',
              config: { batch_input_shape: [null, ...inputShape], dtype: 'float32', sparse: false, ragged: false, name: 'input_1' },
            },
            layer,
          ],
        },
      },
    },
    weightsManifest: [{ paths: [], weights: [] }],
  };
}

/** The same as a Keras 2 Functional model (inbound_nodes, input_layers, output_layers). */
function functionalJson(layer: { class_name: string; config: Record<string, unknown> }, inputShape: number[]) {
  const name = layer.config.name as string;
  return {
    format: 'layers-model',
    generatedBy: 'keras v2.13.1',
    convertedBy: 'TensorFlow.js Converter v4.22.0',
    modelTopology: {
      keras_version: '2.13.1',
      backend: 'tensorflow',
      model_config: {
        class_name: 'Functional',
        config: {
          name: 'model',
          layers: [
            {
              class_name: 'InputLayer',
              config: { batch_input_shape: [null, ...inputShape], dtype: 'float32', sparse: false, ragged: false, name: 'input_1' },
              name: 'input_1',
              inbound_nodes: [],
            },
            { ...layer, name, inbound_nodes: [[['input_1', 0, 0, {}]]] },
          ],
          input_layers: [['input_1', 0, 0]],
          output_layers: [[name, 0, 0]],
        },
      },
    },
    weightsManifest: [{ paths: [], weights: [] }],
  };
}

type ModelJson = ReturnType<typeof sequentialJson>;

/** Loads a model.json through tf.loadLayersModel, as from a file: an IOHandler that returns its artifacts. */
function load(json: ModelJson): Promise<tf.LayersModel> {
  return tf.loadLayersModel(
    tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: [], weightData: new ArrayBuffer(0), format: json.format, generatedBy: json.generatedBy, convertedBy: json.convertedBy }),
  );
}

/** The model's DropBlock2D layer, and a check that inference is the identity. */
async function loadedLayer(json: ModelJson, inputShape: number[]): Promise<DropBlock2D> {
  const model = await load(json);
  const layer = model.layers.find((l) => l.getClassName() === 'DropBlock2D');
  expect(layer).toBeInstanceOf(DropBlock2D);
  const x = tf.randomNormal([2, ...inputShape], 0, 1, 'float32', 3);
  const y = model.predict(x) as tf.Tensor;
  expect(Array.from(y.dataSync())).toEqual(Array.from(x.dataSync()));
  tf.dispose([x, y]);
  return layer as DropBlock2D;
}

/** For every sample and position of a training output on ones: are all channels dropped together? */
function channelsAgree(y: tf.Tensor4D): boolean {
  const [n, h, w, c] = y.shape;
  const d = y.dataSync();
  for (let i = 0; i < n * h * w; i++) {
    const zero = d[i * c] === 0;
    for (let k = 1; k < c; k++) if ((d[i * c + k] === 0) !== zero) return false;
  }
  return true;
}

function trainOnOnes(layer: DropBlock2D, shape: [number, number, number, number]): tf.Tensor4D {
  return tf.tidy(() => layer.apply(tf.ones(shape), { training: true }) as tf.Tensor4D);
}

const KERAS_CV = {
  class_name: 'DropBlock2D',
  config: { name: 'drop_block2d', trainable: true, dtype: 'float32', rate: 0.2, block_size: [3, 3], seed: 1234 },
};
const KERAS_DROP_BLOCK = {
  class_name: 'DropBlock2D',
  config: { name: 'drop_block2d', trainable: true, dtype: 'float32', block_size: 3, keep_prob: 0.8, sync_channels: true, data_format: null },
};

describe('DropBlock2D.fromConfig: Keras models', () => {
  it("loads keras-cv's DropBlock2D (rate, block_size (h, w), seed): keepProb = 1 - rate, a mask per channel", async () => {
    for (const json of [sequentialJson(KERAS_CV, [12, 12, 8]), functionalJson(KERAS_CV, [12, 12, 8])]) {
      const layer = await loadedLayer(json, [12, 12, 8]);
      expect(layer.keepProb).toBeCloseTo(0.8, 12);
      expect(layer.blockSize).toBe(3);
      expect(layer.seed).toBe(1234);
      expect(layer.dataFormat).toBe('channelsLast');
      expect(layer.sharedChannels).toBe(false);
      const y = trainOnOnes(layer, [2, 12, 12, 8]);
      expect(y.dataSync().some((v) => v === 0)).toBe(true);
      expect(channelsAgree(y)).toBe(false);
      y.dispose();
    }
  });

  it("loads keras-cv's int block_size and a null seed", async () => {
    const json = sequentialJson({ class_name: 'DropBlock2D', config: { ...KERAS_CV.config, block_size: 5, seed: null, rate: 0.25 } }, [10, 10, 2]);
    const layer = await loadedLayer(json, [10, 10, 2]);
    expect(layer.blockSize).toBe(5);
    expect(layer.seed).toBeUndefined();
    expect(layer.keepProb).toBeCloseTo(0.75, 12);
  });

  it("refuses keras-cv's non-square (height, width) blocks with an error that says so", async () => {
    const json = sequentialJson({ class_name: 'DropBlock2D', config: { ...KERAS_CV.config, block_size: [3, 5] } }, [12, 12, 8]);
    await expect(load(json)).rejects.toThrow(
      /DropBlock2D 'drop_block2d': keras-cv block_size \[3, 5\] is a non-square \(height, width\) block; this layer drops square blocks only/,
    );
  });

  it("loads keras-drop-block's DropBlock2D (block_size, keep_prob, sync_channels, data_format)", async () => {
    for (const json of [sequentialJson(KERAS_DROP_BLOCK, [12, 12, 8]), functionalJson(KERAS_DROP_BLOCK, [12, 12, 8])]) {
      const layer = await loadedLayer(json, [12, 12, 8]);
      expect(layer.keepProb).toBe(0.8);
      expect(layer.blockSize).toBe(3);
      expect(layer.seed).toBeUndefined();
      expect(layer.dataFormat).toBe('channelsLast');
      // sync_channels True: one mask for all channels of a sample.
      expect(layer.sharedChannels).toBe(true);
      const y = trainOnOnes(layer, [2, 12, 12, 8]);
      expect(y.dataSync().some((v) => v === 0)).toBe(true);
      expect(channelsAgree(y)).toBe(true);
      y.dispose();
    }
  });

  it("loads keras-drop-block's channels_first and per-channel (sync_channels False) configs", async () => {
    const json = sequentialJson(
      { class_name: 'DropBlock2D', config: { ...KERAS_DROP_BLOCK.config, sync_channels: false, data_format: 'channels_first' } },
      [4, 10, 10],
    );
    const layer = await loadedLayer(json, [4, 10, 10]);
    expect(layer.dataFormat).toBe('channelsFirst');
    expect(layer.sharedChannels).toBe(false);
  });

  it('rejects a config key no Keras DropBlock2D writes, naming it', async () => {
    const json = sequentialJson({ class_name: 'DropBlock2D', config: { ...KERAS_DROP_BLOCK.config, keep_prop: 0.8 } }, [12, 12, 8]);
    await expect(load(json)).rejects.toThrow(/unknown option 'keepProp' \(did you mean 'keepProb'\?\)/);
  });

  it('still round-trips its own saved config', async () => {
    const model = tf.sequential({ layers: [new DropBlock2D({ inputShape: [6, 6, 2], blockSize: 3, keepProb: 0.7, seed: 5, sharedChannels: true, batchwise: true })] });
    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved!));
    const layer = loaded.layers[0] as DropBlock2D;
    expect([layer.blockSize, layer.keepProb, layer.seed, layer.sharedChannels, layer.batchwise]).toEqual([3, 0.7, 5, true, true]);
  });
});
