import { memoryFs, h5wasm, scratchPath } from '../weights/hdf5.js';

/** One weight to write: its name inside the layer (`kernel`, `moving_mean`, ...), shape and values. */
export interface WeightToWrite {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** One layer to write; a layer without weights is listed in `layer_names` with an empty `weight_names`. */
export interface LayerToWrite {
  name: string;
  weights: WeightToWrite[];
}

/** How to lay the file out. */
export interface WriteOptions {
  /** Put the layers under /model_weights, as `model.save('x.h5')` does for a whole model. */
  underModelWeights?: boolean;
  /** Split `layer_names` into this many attributes `layer_names0`, `layer_names1`, ... (Keras' chunking). */
  layerNameChunks?: number;
}

/** A fixed-length byte-string attribute, as h5py writes Keras' numpy `S` arrays. */
function writeStrings(group: { create_attribute(name: string, data: string[], shape: null, dtype: string): void }, name: string, values: string[]): void {
  const width = Math.max(1, ...values.map((v) => v.length));
  group.create_attribute(name, values, null, `S${width}`);
}

/**
 * Writes a Keras HDF5 weights file in the layout Keras' legacy `save_weights` produces (root attributes
 * `layer_names`, `backend`, `keras_version`; one group per layer with attribute `weight_names` listing
 * `<layer>/<weight>:0`; datasets at `<layer>/<layer>/<weight>:0`; a layer without weights gets an empty float64
 * `weight_names`, as numpy writes an empty list) and returns its bytes.
 */
export async function writeKerasH5(layers: LayerToWrite[], options: WriteOptions = {}): Promise<Uint8Array> {
  const h5 = await h5wasm();
  const fs = await memoryFs();
  const path = scratchPath();
  const file = new h5.File(path, 'w');
  try {
    const root = options.underModelWeights ? file.create_group('model_weights') : file;
    const names = layers.map((l) => l.name);
    const chunks = options.layerNameChunks ?? 1;
    if (chunks === 1) {
      writeStrings(root, 'layer_names', names);
    } else {
      const size = Math.ceil(names.length / chunks);
      for (let c = 0; c < chunks; c++) writeStrings(root, `layer_names${c}`, names.slice(c * size, (c + 1) * size));
    }
    root.create_attribute('backend', 'tensorflow');
    root.create_attribute('keras_version', '2.13.1');
    for (const layer of layers) {
      const group = root.create_group(layer.name);
      if (layer.weights.length === 0) {
        group.create_attribute('weight_names', new Float64Array(0));
        continue;
      }
      writeStrings(group, 'weight_names', layer.weights.map((w) => `${layer.name}/${w.name}:0`));
      const inner = group.create_group(layer.name);
      for (const w of layer.weights) inner.create_dataset({ name: `${w.name}:0`, data: w.data, shape: w.shape, dtype: '<f' });
    }
  } finally {
    file.close();
  }
  const bytes = fs.readFile(path);
  fs.unlink(path);
  return bytes;
}
