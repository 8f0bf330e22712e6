import type { Tensor } from '@tensorflow/tfjs-core';
import {
  assertDataFormat,
  assertKeepProb,
  assertKnownOptions,
  assertPositiveInteger,
  assertSeed,
  describeValue,
  optionKeys,
  type DataFormat,
} from '@db/core';

/**
 * Options of the ops {@link dropBlock2d} and {@link dropBlock3d}.
 * @group Ops
 */
export interface DropBlockOpOptions {
  /** Probability that a unit is kept, in (0, 1]; 1 returns the input unchanged. */
  keepProb: number;
  /** Side of the square (2D) or cubic (3D) block, a positive integer; clipped to the map along each axis. */
  blockSize: number;
  /** Drop only when true (default true: calling the op means training); false returns the input unchanged. */
  training?: boolean;
  /**
   * Seed of the mask generator (xoshiro128**, see `@db/core` `createRng`): the same seed gives the same mask.
   * Omit it for a fresh random mask at each call. (Layers derive a new seed per call from their own seed.)
   */
  seed?: number;
  /** Layout of `x`: `'channelsLast'` (NHWC / NDHWC, default) or `'channelsFirst'` (NCHW / NCDHW). */
  dataFormat?: DataFormat;
  /** One mask per sample shared by all channels (default false: a mask per sample and per channel). */
  sharedChannels?: boolean;
  /** One mask for the whole batch (default false: a mask per sample). */
  batchwise?: boolean;
}

const OP_OPTION_KEYS = optionKeys<DropBlockOpOptions>()(['keepProb', 'blockSize', 'training', 'seed', 'dataFormat', 'sharedChannels', 'batchwise']);

/** Validated options with defaults filled in. */
export interface ResolvedOptions {
  keepProb: number;
  blockSize: number;
  training: boolean;
  seed: number | undefined;
  dataFormat: DataFormat;
  sharedChannels: boolean;
  batchwise: boolean;
}

function assertBoolean(v: unknown, name: string): asserts v is boolean | undefined {
  if (v !== undefined && typeof v !== 'boolean') throw new TypeError(`${name} must be a boolean, got ${describeValue(v)}`);
}

/** Checks the tensor and options; every error names the argument it rejects. */
export function resolveOptions(fn: string, x: Tensor, rank: number, options: DropBlockOpOptions): ResolvedOptions {
  if (x === null || typeof x !== 'object' || typeof (x as Tensor).rank !== 'number') {
    throw new TypeError(`${fn}: x must be a tf.Tensor, got ${describeValue(x)}`);
  }
  if (x.rank !== rank) {
    throw new RangeError(`${fn}: x must be a rank-${rank} tensor, got rank ${x.rank} (shape [${x.shape.join(', ')}])`);
  }
  if (x.dtype !== 'float32') {
    throw new TypeError(`${fn}: x must be a float32 tensor (it is rescaled), got dtype ${x.dtype}`);
  }
  if (options === null || typeof options !== 'object') throw new TypeError(`${fn}: options must be an object, got ${describeValue(options)}`);
  assertKnownOptions(options, OP_OPTION_KEYS, `${fn} options`);
  assertKeepProb(options.keepProb);
  assertPositiveInteger(options.blockSize, 'blockSize');
  assertSeed(options.seed);
  const dataFormat = options.dataFormat ?? 'channelsLast';
  assertDataFormat(dataFormat);
  assertBoolean(options.training, 'training');
  assertBoolean(options.sharedChannels, 'sharedChannels');
  assertBoolean(options.batchwise, 'batchwise');
  return {
    keepProb: options.keepProb,
    blockSize: options.blockSize,
    training: options.training ?? true,
    seed: options.seed,
    dataFormat,
    sharedChannels: options.sharedChannels ?? false,
    batchwise: options.batchwise ?? false,
  };
}
