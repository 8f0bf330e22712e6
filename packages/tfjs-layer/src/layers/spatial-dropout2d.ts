import * as tf from '@tensorflow/tfjs-core';
import { layers, type Shape } from '@tensorflow/tfjs-layers';
import { assertDataFormat, assertKnownOptions, assertSeed, createRng, deriveSeed, describeValue, randomSeed, type DataFormat } from '@db/core';
import { SPATIAL_DROPOUT_2D_ARG_KEYS, type SpatialDropout2DArgs } from './args.js';
import { KERAS_BASE_CONFIG_KEYS, singleTensor } from './drop-block-layer.js';

/** Rejects keys SpatialDropout2D does not take, naming the nearest valid one. */
function checkedArgs(args: SpatialDropout2DArgs): SpatialDropout2DArgs {
  assertKnownOptions(args, SPATIAL_DROPOUT_2D_ARG_KEYS, 'SpatialDropout2D args');
  return args;
}

/**
 * SpatialDropout2D (Tompson et al., "Efficient Object Localization Using Convolutional Networks", CVPR 2015):
 * drops whole feature maps (channels) of each sample with probability `rate` and scales the kept ones by
 * 1 / (1 - rate). tfjs-layers has only SpatialDropout1D (tensorflow/tfjs#1453); this is the baseline the
 * DropBlock study compares against, and what DropBlock reduces to when the block covers the map.
 * Input [N, H, W, C] (or [N, C, H, W] with 'channelsFirst'); active only when `kwargs.training` is true.
 *
 * @group Layers
 */
export class SpatialDropout2D extends layers.Layer {
  /** Registered class name (used by serialisation). */
  static className = 'SpatialDropout2D';
  /** Fraction of channels dropped, in [0, 1). */
  readonly rate: number;
  /** Base seed, or undefined for random draws. */
  readonly seed: number | undefined;
  /** Layout of the input. */
  readonly dataFormat: DataFormat;
  private calls = 0;

  constructor(args: SpatialDropout2DArgs) {
    super(checkedArgs(args));
    if (args === null || typeof args !== 'object') throw new TypeError(`SpatialDropout2D args must be an object, got ${describeValue(args)}`);
    const { rate } = args;
    if (typeof rate !== 'number') throw new TypeError(`rate must be a number in [0, 1), got ${describeValue(rate)}`);
    if (!Number.isFinite(rate) || rate < 0 || rate >= 1) {
      throw new RangeError(`rate must be a number in [0, 1), got ${describeValue(rate)}`);
    }
    const seed = (args.seed as number | null | undefined) ?? undefined;
    assertSeed(seed);
    const dataFormat = args.dataFormat ?? 'channelsLast';
    assertDataFormat(dataFormat);
    this.rate = rate;
    this.seed = seed;
    this.dataFormat = dataFormat;
    this.supportsMasking = true;
    this.inputSpec = [{ ndim: 4 }];
  }

  /**
   * Rebuilds the layer from a saved config: its own keys and those Keras writes for every layer, nothing else
   * (`customObjects` is tfjs-layers' own addition to every config it deserialises).
   */
  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    loaded: tf.serialization.ConfigDict,
  ): T {
    const config = { ...loaded };
    delete config['customObjects'];
    const layer = typeof config['name'] === 'string' ? `SpatialDropout2D '${config['name']}'` : 'SpatialDropout2D';
    assertKnownOptions(config, ['rate', 'seed', 'dataFormat', ...KERAS_BASE_CONFIG_KEYS], `${layer} config`);
    if (config['batchShape'] != null) {
      config['batchInputShape'] ??= config['batchShape'];
      delete config['batchShape'];
    }
    if (config['seed'] == null) delete config['seed'];
    return new cls(config);
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    const x = singleTensor(inputs, 'SpatialDropout2D');
    if (x.rank !== 4) throw new RangeError(`SpatialDropout2D: x must be a rank-4 tensor, got rank ${x.rank}`);
    if (x.dtype !== 'float32') throw new TypeError(`SpatialDropout2D: x must be float32, got dtype ${x.dtype}`);
    if (kwargs?.['training'] !== true || this.rate === 0) return x;
    const cf = this.dataFormat === 'channelsFirst';
    const shape = x.shape as number[];
    const n = shape[0];
    const c = cf ? shape[1] : shape[3];
    const rng = createRng(this.seed === undefined ? randomSeed() : deriveSeed(this.seed, this.calls++));
    // One Bernoulli(1 - rate) keep flag per (sample, channel), pre-multiplied by the inverted-dropout scale.
    const scale = 1 / (1 - this.rate);
    const flags = new Float32Array(n * c);
    for (let i = 0; i < flags.length; i++) flags[i] = rng.nextFloat() < this.rate ? 0 : scale;
    return tf.tidy(() => tf.mul(x, tf.tensor(flags, cf ? [n, c, 1, 1] : [n, 1, 1, c], 'float32')));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed ?? null, dataFormat: this.dataFormat };
  }
}

/**
 * Creates a {@link SpatialDropout2D} layer: `spatialDropout2D({ rate: 0.1 })`.
 *
 * @group Layers
 */
export function spatialDropout2D(args: SpatialDropout2DArgs): SpatialDropout2D {
  return new SpatialDropout2D(args);
}
