import * as tfc from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { withKerasH5, type H5Layer } from './hdf5.js';
import { kerasApplicationsName } from './keras-resnet50.js';
import { assertKnownOptions } from '@db/core';
import { LOAD_KERAS_WEIGHTS_OPTION_KEYS } from '../option-keys.js';

/** Options of {@link loadKerasWeights}. */
export interface LoadKerasWeightsOptions {
  /**
   * Skip a layer whose weights in the file differ in count or shape from the model's (e.g. the 7x7 `conv1` of the
   * ImageNet stem against the `'small'` stem's 3x3, or 3 input channels against 1) and report it in
   * {@link KerasWeightsReport.skipped}, instead of throwing. Like Keras' `skip_mismatch`, except that a layer is
   * skipped whole (Keras also loads the matching weights of a layer with one mismatched shape). Default false.
   */
  skipMismatch?: boolean;
  /**
   * Require every model layer that has weights to find its layer in the file. Default true. With false, layers the
   * file lacks (a classifier head on a `notop` file, a stage the file does not have) keep their weights and are
   * listed in {@link KerasWeightsReport.missing}, as Keras' `by_name=True` loading does silently.
   */
  strict?: boolean;
}

/** What {@link loadKerasWeights} did, by model layer name. */
export interface KerasWeightsReport {
  /** Model layers whose weights were set from the file, with the file layer each came from. */
  loaded: Array<{ layer: string; fileLayer: string }>;
  /** Model layers skipped under `skipMismatch`, and why (both shapes or counts). */
  skipped: Array<{ layer: string; fileLayer: string; reason: string }>;
  /** Model layers with weights that the file has no layer for (only when `strict` is false). */
  missing: string[];
  /** Layers of the file with weights that no model layer took. */
  unused: string[];
}

/** A model layer and the file layer it reads. */
interface Assignment {
  layer: tfl.layers.Layer;
  file: H5Layer;
}

const LIST_LIMIT = 8;

function listSome(names: readonly string[]): string {
  const shown = names.slice(0, LIST_LIMIT).join(', ');
  return names.length > LIST_LIMIT ? `${shown}, ... (${names.length} in all)` : shown;
}

/**
 * Loads a Keras HDF5 weights file into a TF.js model layer by layer, by name, as Keras'
 * `model.load_weights(path, by_name=True)` does (`load_weights_from_hdf5_group_by_name` in Keras'
 * `legacy_h5_format.py`): each model layer takes the weights of the file layer with its name, in Keras' legacy
 * order (trainable, then non-trainable: a BatchNormalization's gamma, beta, moving_mean, moving_variance), which is
 * TF.js' `layer.weights` order; kernels need no transposition (Keras and TF.js both store conv kernels
 * `[kh, kw, in, out]` and dense kernels `[in, out]`).
 *
 * A layer of {@link resnet50} / {@link resnet50Backbone} also matches its Keras 2.2.5+ name (`res3d_branch2b` reads
 * `conv3_block4_2_conv`), so both Keras' current ImageNet file ({@link KERAS_RESNET50_NOTOP_WEIGHTS}) and the older
 * keras-applications file, whose names are @db/models', load into them.
 *
 * Every check runs and every value is read before the first weight is set: on an error the model is unchanged.
 * Errors: a `TypeError` for a source that is not an HDF5 file or not a Keras weights file, or a file without any
 * layer of the model; a `RangeError` naming the layer and both shapes (or counts) for a mismatch (unless
 * `skipMismatch`), and listing the model layers the file lacks (unless `strict` is false).
 *
 * @param model - A TF.js layers model, e.g. from `resnet50Backbone`.
 * @param source - The file's path (Node only) or its bytes.
 * @returns Which layers were loaded, skipped, missing from the file, or unused.
 *
 * @example
 * ```ts
 * // ImageNet-pretrained C3..C5 for RetinaNet, from the file Keras downloads (fetched beforehand, e.g. with
 * // @db/datasets' downloadFile and KERAS_RESNET50_NOTOP_WEIGHTS' url and checksum).
 * const backbone = resnet50Backbone({
 *   inputShape: [512, 512, 3],
 *   regularizer: regularizer.dropBlock(7, 0.9),
 *   batchNormEpsilon: KERAS_RESNET50_NOTOP_WEIGHTS.batchNormEpsilon,
 * });
 * await loadKerasWeights(backbone, '/data/resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5');
 *
 * // A classifier from the same file: its new Dense head is not in the file.
 * const net = resnet50({ inputShape: [224, 224, 3], numClasses: 10 });
 * const report = await loadKerasWeights(net, bytes, { strict: false }); // report.missing: ['predictions']
 * ```
 */
export async function loadKerasWeights(
  model: tfl.LayersModel,
  source: string | Uint8Array | ArrayBuffer,
  options: LoadKerasWeightsOptions = {},
): Promise<KerasWeightsReport> {
  if (model == null || !Array.isArray((model as { layers?: unknown }).layers)) {
    throw new TypeError(`model must be a TF.js LayersModel, got ${String(model)}`);
  }
  if (options == null || typeof options !== 'object') {
    throw new TypeError(`options must be an object, got ${String(options)}`);
  }
  assertKnownOptions(options, LOAD_KERAS_WEIGHTS_OPTION_KEYS, 'loadKerasWeights options');
  const skipMismatch = options.skipMismatch ?? false;
  const strict = options.strict ?? true;
  const { bytes, label } = await readSource(source);
  const { assignments, report } = await withKerasH5(bytes, label, ({ layers }) => {
    const plan = matchLayers(model, layers, label, skipMismatch, strict);
    // Read every value while the file is open, before setting anything.
    const values = plan.assignments.map(({ file }) => file.weights.map((w) => ({ data: w.read(), shape: w.shape })));
    return { assignments: plan.assignments.map((a, i) => ({ ...a, values: values[i] })), report: plan.report };
  });
  for (const { layer, values } of assignments) {
    const tensors = values.map((v) => tfc.tensor(v.data, v.shape, 'float32'));
    try {
      layer.setWeights(tensors);
    } finally {
      tfc.dispose(tensors);
    }
  }
  return report;
}

async function readSource(source: string | Uint8Array | ArrayBuffer): Promise<{ bytes: Uint8Array; label: string }> {
  if (source instanceof Uint8Array) return { bytes: source, label: `the given ${source.length} bytes` };
  if (source instanceof ArrayBuffer) {
    return { bytes: new Uint8Array(source), label: `the given ${source.byteLength} bytes` };
  }
  if (typeof source === 'string' && source.length > 0) {
    // Imported here so that browser bundles of @db/models never see node:fs.
    const { readFile } = await import('node:fs/promises');
    try {
      return { bytes: await readFile(source), label: source };
    } catch (error) {
      throw new Error(`cannot read the Keras weights file ${source}: ${(error as Error).message}`, { cause: error });
    }
  }
  throw new TypeError(`source must be a file path, a Uint8Array or an ArrayBuffer, got ${String(source)}`);
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function matchLayers(
  model: tfl.LayersModel,
  fileLayers: H5Layer[],
  label: string,
  skipMismatch: boolean,
  strict: boolean,
): { assignments: Assignment[]; report: KerasWeightsReport } {
  const byName = new Map(fileLayers.map((l) => [l.name, l]));
  const report: KerasWeightsReport = { loaded: [], skipped: [], missing: [], unused: [] };
  const assignments: Assignment[] = [];
  const taken = new Set<string>();
  for (const layer of model.layers) {
    const expected = layer.weights;
    if (expected.length === 0) continue;
    const alias = kerasApplicationsName(layer.name);
    const file = byName.get(layer.name) ?? (alias === undefined ? undefined : byName.get(alias));
    if (file === undefined) {
      report.missing.push(layer.name);
      continue;
    }
    const where = `layer '${layer.name}'` + (file.name === layer.name ? '' : ` (file layer '${file.name}')`);
    let reason: string | undefined;
    if (file.weights.length !== expected.length) {
      reason =
        `${where} has ${expected.length} weight(s) (${expected.map((w) => w.originalName).join(', ')}), ` +
        `the file ${file.weights.length} (${file.weights.map((w) => w.name).join(', ') || 'none'})`;
    } else {
      const bad = expected.findIndex((w, i) => !sameShape(w.shape as number[], file.weights[i].shape));
      if (bad >= 0) {
        reason =
          `${where}: weight ${expected[bad].originalName} has shape ${JSON.stringify(expected[bad].shape)} in the ` +
          `model and ${JSON.stringify(file.weights[bad].shape)} in the file (${file.weights[bad].name})`;
      }
    }
    if (reason !== undefined) {
      if (!skipMismatch) throw new RangeError(`${label} does not fit the model: ${reason} (skipMismatch skips it)`);
      report.skipped.push({ layer: layer.name, fileLayer: file.name, reason });
      continue;
    }
    taken.add(file.name);
    assignments.push({ layer, file });
    report.loaded.push({ layer: layer.name, fileLayer: file.name });
  }
  report.unused = fileLayers.filter((l) => l.weights.length > 0 && !taken.has(l.name)).map((l) => l.name);
  if (report.loaded.length === 0 && report.skipped.length === 0) {
    throw new TypeError(
      `${label} has no layer of the model '${model.name}': model layers ${listSome(report.missing)}; ` +
        `file layers ${listSome(fileLayers.filter((l) => l.weights.length > 0).map((l) => l.name)) || '(none with weights)'}`,
    );
  }
  if (strict && report.missing.length > 0) {
    throw new RangeError(
      `${label} lacks ${report.missing.length} layer(s) of the model '${model.name}': ${listSome(report.missing)} ` +
        '(strict: false keeps their current weights)',
    );
  }
  return { assignments, report };
}
