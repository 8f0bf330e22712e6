import * as tf from '@tensorflow/tfjs-core';
import { layers, type Shape } from '@tensorflow/tfjs-layers';
import {
  assertDataFormat,
  assertKeepProb,
  assertKnownOptions,
  assertPositiveInteger,
  assertSeed,
  deriveSeed,
  describeValue,
  type DataFormat,
} from '@db/core';
import { dropBlock2d } from '../op/drop-block2d.js';
import { dropBlock3d } from '../op/drop-block3d.js';
import { DEFAULT_KEEP_PROB, DROP_BLOCK_LAYER_ARG_KEYS, type DropBlockLayerArgs } from './args.js';

/** Returns the single tensor of a layer call (TF.js passes a tensor or a one-element array). */
export function singleTensor(inputs: tf.Tensor | tf.Tensor[], layer: string): tf.Tensor {
  if (Array.isArray(inputs)) {
    if (inputs.length !== 1) throw new Error(`${layer} expects exactly one input tensor, got ${inputs.length}`);
    return inputs[0];
  }
  return inputs;
}

/** Rejects keys no DropBlock layer takes (issue 20: `keep_prob` was ignored and training ran at keepProb 0.9). */
function checkedArgs(args: DropBlockLayerArgs, className: string): DropBlockLayerArgs {
  assertKnownOptions(args, DROP_BLOCK_LAYER_ARG_KEYS, `${className} args`);
  return args;
}

/**
 * The keys Keras writes into every layer's `get_config()` (Keras 2 `Layer.get_config`: name, trainable, dtype, and
 * batch_input_shape on a model's first layer; Keras 3's input layers write batch_shape), camelCased by tfjs-layers'
 * `convertPythonicToTs` when a model loads. tfjs-layers' own `Layer.getConfig` writes the same four.
 */
export const KERAS_BASE_CONFIG_KEYS: readonly string[] = ['name', 'trainable', 'dtype', 'batchInputShape', 'batchShape'];

/** The options DropBlock2D / DropBlock3D write in `getConfig`. */
const OWN_CONFIG_KEYS = ['blockSize', 'keepProb', 'seed', 'dataFormat', 'sharedChannels', 'batchwise'];

/** The base-layer part of a loaded config as tfjs-layers' `LayerArgs`. */
function baseArgs(config: tf.serialization.ConfigDict): DropBlockLayerArgs {
  const args: Record<string, unknown> = {};
  if (config['name'] != null) args['name'] = config['name'];
  if (config['trainable'] != null) args['trainable'] = config['trainable'];
  // Keras 3 writes the dtype as a DTypePolicy object ({class_name: 'DTypePolicy', config: {name: 'float32'}}).
  const dtype = config['dtype'] as unknown;
  const policyName = (dtype as { config?: { name?: unknown } } | null)?.config?.name;
  if (typeof dtype === 'string') args['dtype'] = dtype;
  else if (typeof policyName === 'string') args['dtype'] = policyName;
  const batchInputShape = config['batchInputShape'] ?? config['batchShape'];
  if (batchInputShape != null) args['batchInputShape'] = batchInputShape;
  return args as unknown as DropBlockLayerArgs;
}

/**
 * keras-cv `DropBlock2D(rate, block_size, seed)` (keras_cv/layers/regularization/dropblock_2d.py): `rate` is the
 * drop probability (keepProb = 1 - rate), `block_size` an int or a (height, width) pair (get_config always writes
 * the pair), and its noise has the input's full shape, so each channel gets its own mask (sharedChannels false);
 * channels-last only.
 */
function fromKerasCvConfig(config: tf.serialization.ConfigDict, layer: string): DropBlockLayerArgs {
  assertKnownOptions(config, ['rate', 'blockSize', 'seed', ...KERAS_BASE_CONFIG_KEYS], `${layer} config (keras-cv DropBlock2D)`);
  const rate = config['rate'] as unknown;
  if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) {
    throw new RangeError(`${layer}: keras-cv rate must be a number in [0, 1) (the drop probability), got ${describeValue(rate)}`);
  }
  let blockSize = config['blockSize'] as unknown;
  if (Array.isArray(blockSize)) {
    if (blockSize.length !== 2) {
      throw new RangeError(`${layer}: keras-cv block_size must be an int or a (height, width) pair, got ${describeValue(blockSize)}`);
    }
    const [h, w] = blockSize as unknown[];
    if (h !== w) {
      // The gamma of Ghiasi et al. 2018 (Eq. 1) and our masks (@db/core, the op) are for square blocks; a (h, w)
      // block would need both throughout, so it is refused rather than silently squared.
      throw new RangeError(
        `${layer}: keras-cv block_size [${String(h)}, ${String(w)}] is a non-square (height, width) block; this layer ` +
          `drops square blocks only (blockSize: one integer). Save the Keras model with a square block_size, e.g. ` +
          `block_size=${String(h)} or (${String(h)}, ${String(h)}).`,
      );
    }
    blockSize = h;
  }
  return {
    ...baseArgs(config),
    blockSize: blockSize as number,
    keepProb: 1 - rate,
    seed: (config['seed'] as number | null | undefined) ?? undefined,
    dataFormat: 'channelsLast',
    sharedChannels: false,
  };
}

/**
 * CyberZHG's keras-drop-block `DropBlock2D(block_size, keep_prob, sync_channels, data_format)`
 * (keras_drop_block/drop_block.py): `sync_channels` True draws one mask per sample for all channels (our
 * sharedChannels); `data_format` None means channels-last.
 */
function fromKerasDropBlockConfig(config: tf.serialization.ConfigDict, layer: string): DropBlockLayerArgs {
  assertKnownOptions(
    config,
    ['blockSize', 'keepProb', 'syncChannels', 'dataFormat', ...KERAS_BASE_CONFIG_KEYS],
    `${layer} config (keras-drop-block DropBlock2D)`,
  );
  const sync = config['syncChannels'] as unknown;
  if (typeof sync !== 'boolean') throw new TypeError(`${layer}: keras-drop-block sync_channels must be a boolean, got ${describeValue(sync)}`);
  return {
    ...baseArgs(config),
    blockSize: config['blockSize'] as number,
    keepProb: config['keepProb'] as number,
    dataFormat: ((config['dataFormat'] as DataFormat | null | undefined) ?? 'channelsLast'),
    sharedChannels: sync,
  };
}

/**
 * Layer args from a loaded config: this package's own (what `getConfig` writes) or, for DropBlock2D, a Keras
 * model's DropBlock2D from keras-cv (has `rate`) or keras-drop-block (has `sync_channels`). Any other key is an
 * error naming it: only the keys Keras itself writes for every layer are accepted besides each format's own.
 */
function argsFromConfig(loaded: tf.serialization.ConfigDict, className: string): DropBlockLayerArgs {
  // tfjs-layers' deserializeKerasObject adds `customObjects` to every config it hands fromConfig: not the file's.
  const config = { ...loaded };
  delete config['customObjects'];
  const layer = typeof config['name'] === 'string' ? `${className} '${config['name']}'` : className;
  if (className === 'DropBlock2D' && 'rate' in config) return fromKerasCvConfig(config, layer);
  if (className === 'DropBlock2D' && 'syncChannels' in config) return fromKerasDropBlockConfig(config, layer);
  assertKnownOptions(config, [...OWN_CONFIG_KEYS, ...KERAS_BASE_CONFIG_KEYS], `${layer} config`);
  const own: Record<string, unknown> = {};
  for (const key of OWN_CONFIG_KEYS) if (config[key] != null) own[key] = config[key];
  return { ...baseArgs(config), ...own } as unknown as DropBlockLayerArgs;
}

/**
 * What DropBlock2D and DropBlock3D share: validated arguments, the settable keepProb, the per-call seed
 * counter, training-flag handling and serialisation. Modelled on tfjs-layers' `Dropout`.
 *
 * @group Layers
 */
export abstract class DropBlockLayerBase extends layers.Layer {
  /** Side of the block (fixed for the layer's lifetime; part of the saved config). */
  readonly blockSize: number;
  /** Base seed, or undefined for random masks. */
  readonly seed: number | undefined;
  /** Layout of the input. */
  readonly dataFormat: DataFormat;
  /** One mask per sample shared by all channels. */
  readonly sharedChannels: boolean;
  /** One mask for the whole batch. */
  readonly batchwise: boolean;
  private keepProbValue: number;
  /**
   * Training calls made so far. A seeded layer uses deriveSeed(seed, calls) for call number `calls`: a fixed
   * seed passed straight to a random op would repeat the same mask at every step, which is no regulariser.
   */
  private calls = 0;

  /** Spatial rank handled (2 or 3). */
  protected abstract readonly spatialRank: 2 | 3;

  constructor(args: DropBlockLayerArgs) {
    super(checkedArgs(args, (new.target as unknown as { className: string }).className));
    if (args === null || typeof args !== 'object') throw new TypeError(`DropBlock layer args must be an object, got ${describeValue(args)}`);
    assertPositiveInteger(args.blockSize, 'blockSize');
    const keepProb = args.keepProb ?? DEFAULT_KEEP_PROB;
    assertKeepProb(keepProb);
    // Loaded configs store an absent seed as null.
    const seed = (args.seed as number | null | undefined) ?? undefined;
    assertSeed(seed);
    const dataFormat = args.dataFormat ?? 'channelsLast';
    assertDataFormat(dataFormat);
    this.blockSize = args.blockSize;
    this.keepProbValue = keepProb;
    this.seed = seed;
    this.dataFormat = dataFormat;
    this.sharedChannels = args.sharedChannels ?? false;
    this.batchwise = args.batchwise ?? false;
    this.supportsMasking = true;
  }

  /**
   * Rebuilds a layer from a saved config (`tf.loadLayersModel`): this package's own config, or for DropBlock2D a
   * Keras model's keras-cv or keras-drop-block DropBlock2D config (see the package README, "Keras models").
   */
  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    return new cls(argsFromConfig(config, cls.className));
  }

  /** Probability of keeping a unit, in (0, 1]. Settable, so schedules can lower it during training. */
  get keepProb(): number {
    return this.keepProbValue;
  }

  set keepProb(value: number) {
    assertKeepProb(value);
    this.keepProbValue = value;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    return inputShape;
  }

  /** Drops blocks when `kwargs.training` is true (as `fit` passes); otherwise returns the input. */
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    const x = singleTensor(inputs, this.getClassName());
    const training = kwargs?.['training'] === true;
    const options = {
      keepProb: this.keepProbValue,
      blockSize: this.blockSize,
      training,
      dataFormat: this.dataFormat,
      sharedChannels: this.sharedChannels,
      batchwise: this.batchwise,
      seed: training && this.seed !== undefined ? deriveSeed(this.seed, this.calls++) : undefined,
    };
    return this.spatialRank === 2
      ? dropBlock2d(x as tf.Tensor4D, options)
      : dropBlock3d(x as tf.Tensor5D, options);
  }

  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = {
      blockSize: this.blockSize,
      keepProb: this.keepProbValue,
      seed: this.seed ?? null,
      dataFormat: this.dataFormat,
      sharedChannels: this.sharedChannels,
      batchwise: this.batchwise,
    };
    return { ...super.getConfig(), ...config };
  }
}

/**
 * DropBlock for 2D feature maps as a TF.js layer (Ghiasi, Lin, Le, NeurIPS 2018): in training (the flag
 * `model.fit` passes) it applies {@link dropBlock2d}; at inference it returns its input. Input
 * [N, H, W, C] (or [N, C, H, W] with dataFormat 'channelsFirst'). Serialisable: models containing it
 * round-trip through `model.save` / `tf.loadLayersModel`.
 *
 * @example
 * model.add(dropBlock2D({ blockSize: 7, keepProb: 0.9 }));
 *
 * @group Layers
 */
export class DropBlock2D extends DropBlockLayerBase {
  /** Registered class name (used by serialisation). */
  static className = 'DropBlock2D';
  protected readonly spatialRank = 2 as const;

  constructor(args: DropBlockLayerArgs) {
    super(args);
    this.inputSpec = [{ ndim: 4 }];
  }
}

/**
 * DropBlock for 3D feature volumes ({@link dropBlock3d}); input [N, D, H, W, C] or [N, C, D, H, W].
 *
 * @group Layers
 */
export class DropBlock3D extends DropBlockLayerBase {
  /** Registered class name (used by serialisation). */
  static className = 'DropBlock3D';
  protected readonly spatialRank = 3 as const;

  constructor(args: DropBlockLayerArgs) {
    super(args);
    this.inputSpec = [{ ndim: 5 }];
  }
}

/**
 * The DropBlock **layer** factory (capital `D`; for the op on a tensor see {@link dropBlock2d}): creates a
 * {@link DropBlock2D} layer, in the `tf.layers.*` factory style, for a model's layer stack. The layer drops
 * contiguous `blockSize` x `blockSize` regions of each feature map while training (`model.fit` /
 * `model.fitDataset` pass `training: true`; it then calls {@link dropBlock2d} with a fresh seed per call) and is
 * the identity at inference (`predict`, `evaluate`). Ghiasi, Lin, Le, *DropBlock*, NeurIPS 2018.
 *
 * Arguments ({@link DropBlockLayerArgs}; an unknown key is an error naming the nearest valid one):
 * - `blockSize` (required): side of the square block, a positive integer; clipped to the feature map. The paper
 *   uses 7 on ResNet-50's 14 x 14 and 7 x 7 maps.
 * - `keepProb` (default 0.9, {@link DEFAULT_KEEP_PROB}): probability that a unit is kept, in (0, 1]. Settable
 *   later (`layer.keepProb = 0.95`), which is how `@db/schedule`'s `DropBlockScheduler` ramps it from 1.
 * - `seed` (default none: random masks): a seeded layer is reproducible yet draws a new mask at every training call.
 * - `dataFormat` (default `'channelsLast'`, NHWC): or `'channelsFirst'` (NCHW).
 * - `sharedChannels` (default false): one mask per sample for all channels instead of one per channel.
 * - `batchwise` (default false): one mask for the whole batch instead of one per sample.
 * - and tfjs-layers' own layer arguments: `name`, `inputShape`, `batchInputShape`, `batchSize`, `dtype`,
 *   `trainable`.
 *
 * Input and output: a rank-4 float32 tensor, `[N, H, W, C]` (or `[N, C, H, W]`), same shape out. Kept units are
 * scaled by count(mask) / count_ones(mask) over the batch, so the expected activation is unchanged. The layer has
 * no weights and serialises (`model.save` / `tf.loadLayersModel`), also from Keras models using keras-cv's or
 * keras-drop-block's `DropBlock2D` (see {@link DropBlockLayerBase.fromConfig}).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { dropBlock2D } from '@db/tfjs-layer';
 *
 * const model = tf.sequential();
 * model.add(tf.layers.conv2d({ inputShape: [32, 32, 3], filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' }));
 * model.add(dropBlock2D({ blockSize: 7, keepProb: 0.9 })); // drops 7x7 blocks in training, identity in predict()
 * model.add(tf.layers.flatten());
 * model.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
 * ```
 *
 * @param args The layer's arguments, listed above.
 * @returns A new {@link DropBlock2D} layer.
 * @group Layers
 */
export function dropBlock2D(args: DropBlockLayerArgs): DropBlock2D {
  return new DropBlock2D(args);
}

/**
 * The DropBlock **layer** factory for 3D feature volumes (for the op see {@link dropBlock3d}): creates a
 * {@link DropBlock3D} layer; the arguments and their defaults are those of {@link dropBlock2D}, with cubic blocks and
 * rank-5 inputs `[N, D, H, W, C]` (or `[N, C, D, H, W]`).
 *
 * @example
 * ```ts
 * model.add(dropBlock3D({ blockSize: 3, keepProb: 0.9 }));
 * ```
 *
 * @param args The layer's arguments, as for {@link dropBlock2D}.
 * @returns A new {@link DropBlock3D} layer.
 * @group Layers
 */
export function dropBlock3D(args: DropBlockLayerArgs): DropBlock3D {
  return new DropBlock3D(args);
}

/**
 * True for DropBlock2D and DropBlock3D layers (e.g. for schedules walking a model). Falls back to the class
 * name when `instanceof` fails because two copies of this package are loaded.
 *
 * @group Layers
 */
export function isDropBlockLayer(layer: unknown): layer is DropBlock2D | DropBlock3D {
  if (layer instanceof DropBlock2D || layer instanceof DropBlock3D) return true;
  if (layer === null || typeof layer !== 'object') return false;
  const l = layer as { getClassName?: () => unknown; keepProb?: unknown };
  if (typeof l.getClassName !== 'function' || typeof l.keepProb !== 'number') return false;
  const name = l.getClassName();
  return name === 'DropBlock2D' || name === 'DropBlock3D';
}
