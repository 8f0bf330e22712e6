import * as tf from '@tensorflow/tfjs-core';
import { layers, type Shape } from '@tensorflow/tfjs-layers';
import {
  assertDataFormat,
  assertKeepProb,
  assertPositiveInteger,
  assertSeed,
  deriveSeed,
  describeValue,
  type DataFormat,
} from '@db/core';
import { dropBlock2d } from '../op/drop-block2d.js';
import { dropBlock3d } from '../op/drop-block3d.js';
import { DEFAULT_KEEP_PROB, type DropBlockLayerArgs } from './args.js';

/** Returns the single tensor of a layer call (TF.js passes a tensor or a one-element array). */
export function singleTensor(inputs: tf.Tensor | tf.Tensor[], layer: string): tf.Tensor {
  if (Array.isArray(inputs)) {
    if (inputs.length !== 1) throw new Error(`${layer} expects exactly one input tensor, got ${inputs.length}`);
    return inputs[0];
  }
  return inputs;
}

/**
 * What DropBlock2D and DropBlock3D share: validated arguments, the settable keepProb, the per-call seed
 * counter, training-flag handling and serialisation. Modelled on tfjs-layers' `Dropout`.
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
    super(args);
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

/** DropBlock for 3D feature volumes ({@link dropBlock3d}); input [N, D, H, W, C] or [N, C, D, H, W]. */
export class DropBlock3D extends DropBlockLayerBase {
  /** Registered class name (used by serialisation). */
  static className = 'DropBlock3D';
  protected readonly spatialRank = 3 as const;

  constructor(args: DropBlockLayerArgs) {
    super(args);
    this.inputSpec = [{ ndim: 5 }];
  }
}

/** Creates a {@link DropBlock2D} layer (the `tf.layers.*` factory style). */
export function dropBlock2D(args: DropBlockLayerArgs): DropBlock2D {
  return new DropBlock2D(args);
}

/** Creates a {@link DropBlock3D} layer. */
export function dropBlock3D(args: DropBlockLayerArgs): DropBlock3D {
  return new DropBlock3D(args);
}

/**
 * True for DropBlock2D and DropBlock3D layers (e.g. for schedules walking a model). Falls back to the class
 * name when `instanceof` fails because two copies of this package are loaded.
 */
export function isDropBlockLayer(layer: unknown): layer is DropBlock2D | DropBlock3D {
  if (layer instanceof DropBlock2D || layer instanceof DropBlock3D) return true;
  if (layer === null || typeof layer !== 'object') return false;
  const l = layer as { getClassName?: () => unknown; keepProb?: unknown };
  if (typeof l.getClassName !== 'function' || typeof l.keepProb !== 'number') return false;
  const name = l.getClassName();
  return name === 'DropBlock2D' || name === 'DropBlock3D';
}
