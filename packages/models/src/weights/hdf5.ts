import type * as H5 from 'h5wasm';

/**
 * Reading the Keras weights layout out of an HDF5 file with h5wasm (the HDF5 C library compiled to WebAssembly).
 *
 * The layout is what Keras' legacy `save_weights` / `model.save(..., save_format='h5')` writes and what
 * `keras/src/legacy/saving/legacy_h5_format.py` reads (`load_weights_from_hdf5_group_by_name`):
 * - the root group (or, for a whole saved model, its `model_weights` group) has the attribute `layer_names`, the
 *   model's layers in order, as byte strings; attributes too big for an HDF5 object header are split into
 *   `layer_names0`, `layer_names1`, ... (`load_attributes_from_hdf5_group`);
 * - each layer's group has the attribute `weight_names` (same chunking), the paths of its weights relative to the
 *   group, e.g. `conv1_conv/kernel:0`, in Keras' legacy order: trainable weights, then non-trainable ones (so a
 *   BatchNormalization lists gamma, beta, moving_mean, moving_variance); a layer without weights has an empty list.
 */

/** The HDF5 superblock signature (HDF5 File Format Specification, version 3.0, section II.A "Format Signature"). */
const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/** One weight of a layer in a Keras weights file; its values are read on demand. */
export interface H5Weight {
  /** Path relative to the layer's group, as listed in `weight_names`, e.g. `conv1_conv/kernel:0`. */
  name: string;
  shape: number[];
  /** Reads the values as float32 (the files store float32; float64 is converted). */
  read(): Float32Array;
}

/** One layer group of a Keras weights file. */
export interface H5Layer {
  name: string;
  weights: H5Weight[];
}

/** The layers of an open Keras weights file, in the file's `layer_names` order. */
export interface KerasH5Contents {
  layers: H5Layer[];
}

/**
 * Where the HDF5 superblock starts: byte 0, or 512, 1024, 2048, ... when the file begins with a user block
 * (the specification's search order), or -1 when `bytes` holds no HDF5 signature at all.
 */
export function hdf5SignatureOffset(bytes: Uint8Array): number {
  for (let offset = 0; offset + HDF5_SIGNATURE.length <= bytes.length; offset = offset === 0 ? 512 : offset * 2) {
    if (HDF5_SIGNATURE.every((b, i) => bytes[offset + i] === b)) return offset;
  }
  return -1;
}

let module: Promise<typeof H5.default> | undefined;

/** h5wasm, loaded on first use (its 4 MB of WebAssembly are not paid for by users who never load weights). */
export function h5wasm(): Promise<typeof H5.default> {
  module ??= import('h5wasm').then(async (m) => {
    await m.default.ready;
    return m.default;
  });
  return module;
}

/** The Emscripten in-memory file system h5wasm opens files from. */
export async function memoryFs(): Promise<NonNullable<typeof H5.FS>> {
  const h5 = await h5wasm();
  const { FS } = await h5.ready;
  if (FS == null) throw new Error('h5wasm started without its file system');
  return FS as NonNullable<typeof H5.FS>;
}

let nextFile = 0;

/** A fresh path in h5wasm's in-memory file system, so concurrent loads never share one. */
export function scratchPath(): string {
  nextFile += 1;
  return `/db-models-keras-${nextFile}.h5`;
}

/**
 * Opens the HDF5 bytes, reads the Keras layout and runs `use` on it while the file is open (weights are read on
 * demand inside `use`); the file is closed and removed from memory afterwards, whatever happens.
 *
 * @param label - names the source in error messages (a path, or "the given bytes").
 */
export async function withKerasH5<T>(
  bytes: Uint8Array,
  label: string,
  use: (contents: KerasH5Contents) => T,
): Promise<T> {
  if (hdf5SignatureOffset(bytes) < 0) {
    throw new TypeError(
      `${label} is not an HDF5 file: no HDF5 signature (\\x89HDF\\r\\n\\x1a\\n) at byte 0, 512, 1024, ... ` +
        `of its ${bytes.length} bytes`,
    );
  }
  const h5 = await h5wasm();
  const fs = await memoryFs();
  const path = scratchPath();
  fs.writeFile(path, bytes);
  let file: H5.File | undefined;
  try {
    file = new h5.File(path, 'r');
    if (file.file_id < 0n) throw new TypeError(`${label} is not a readable HDF5 file (truncated or corrupt)`);
    return use(readLayout(h5, file, label));
  } finally {
    if (file !== undefined && file.file_id >= 0n) file.close();
    fs.unlink(path);
  }
}

function readLayout(h5: typeof H5.default, file: H5.File, label: string): KerasH5Contents {
  let root: H5.Group = file;
  let layerNames = stringListAttribute(root, 'layer_names', label);
  if (layerNames === undefined) {
    // A whole model saved by `model.save(...h5)` keeps its weights under /model_weights (legacy_h5_format.py).
    const weightsGroup = file.get('model_weights');
    if (weightsGroup instanceof h5.Group) {
      root = weightsGroup;
      layerNames = stringListAttribute(root, 'layer_names', label);
    }
  }
  if (layerNames === undefined) {
    throw new TypeError(
      `${label} is an HDF5 file but not a Keras weights file: it has no 'layer_names' attribute at / or ` +
        '/model_weights',
    );
  }
  const layers = layerNames.map((name): H5Layer => {
    const group = root.get(name);
    if (!(group instanceof h5.Group)) {
      throw new TypeError(`${label}: layer '${name}' is listed in layer_names but has no group ${root.path}/${name}`);
    }
    const weightNames = stringListAttribute(group, 'weight_names', label) ?? [];
    const weights = weightNames.map((weightName): H5Weight => {
      const dataset = group.get(weightName);
      if (!(dataset instanceof h5.Dataset)) {
        throw new TypeError(`${label}: weight '${weightName}' of layer '${name}' has no dataset ${group.path}/${weightName}`);
      }
      const shape = dataset.shape;
      if (shape == null) throw new TypeError(`${label}: dataset ${dataset.path} has no shape (null dataspace)`);
      return { name: weightName, shape, read: () => float32Values(dataset, label) };
    });
    return { name, weights };
  });
  return { layers };
}

function float32Values(dataset: H5.Dataset, label: string): Float32Array {
  const value = dataset.value;
  if (value instanceof Float32Array) return value;
  if (value instanceof Float64Array) return Float32Array.from(value);
  throw new TypeError(
    `${label}: dataset ${dataset.path} holds ${JSON.stringify(dataset.dtype)} values; Keras weights are float32 ` +
      '(or float64)',
  );
}

/**
 * A list-of-strings attribute as Keras writes it (numpy bytes arrays, fixed-length HDF5 strings), joined over the
 * `name0`, `name1`, ... chunks Keras uses when the list is too long for one attribute; undefined when absent. An
 * empty list may be stored as an empty float array (numpy's `np.asarray([])`).
 */
function stringListAttribute(group: H5.Group, name: string, label: string): string[] | undefined {
  const attrs = group.attrs;
  const parts: unknown[] = [];
  if (name in attrs) {
    parts.push(attrs[name].value);
  } else {
    for (let chunk = 0; `${name}${chunk}` in attrs; chunk++) parts.push(attrs[`${name}${chunk}`].value);
    if (parts.length === 0) return undefined;
  }
  const out: string[] = [];
  for (const part of parts) {
    const items = typeof part === 'string' ? [part] : ArrayBuffer.isView(part) ? Array.from(part as Float64Array) : part;
    if (!Array.isArray(items) || !items.every((s) => typeof s === 'string')) {
      throw new TypeError(`${label}: attribute '${name}' of ${group.path} is not a list of strings`);
    }
    // Fixed-length HDF5 strings may keep their NUL padding.
    out.push(...items.map((s: string) => s.replace(/\0+$/, '')));
  }
  return out;
}
