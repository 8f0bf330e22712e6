import { createRng, randomSeed, type Rng } from '../prng.js';
import { assertSeed, describeValue } from '../validate.js';

/** Where the channel axis sits: `'channelsLast'` (NHWC / NDHWC, the TF.js default) or `'channelsFirst'` (NCHW). */
export type DataFormat = 'channelsLast' | 'channelsFirst';

/** Options shared by the 2D and 3D reference mask samplers. */
export interface MaskSamplingOptions {
  /** Number of samples N in the batch (positive integer). */
  batch: number;
  /** Number of channels C (positive integer). */
  channels: number;
  /** Probability that a unit is kept, in (0, 1]. */
  keepProb: number;
  /** Side of the square (cubic in 3D) block, a positive integer, clipped to the map. */
  blockSize: number;
  /** Seed of the xoshiro128** generator; ignored when `rng` is given; random when both are absent. */
  seed?: number;
  /** A generator to draw from (advanced in place), e.g. to sample several masks from one stream. */
  rng?: Rng;
  /** One mask per sample shared by all channels (default false: a mask per sample and per channel). */
  sharedChannels?: boolean;
  /** One mask for the whole batch (default false: a mask per sample). */
  batchwise?: boolean;
  /** Layout of the returned mask (default `'channelsLast'`). */
  dataFormat?: DataFormat;
}

/** A sampled keep-mask: 1 where the unit is kept, 0 where it is dropped, materialised at the full shape. */
export interface DropBlockMask {
  /** 0/1 values in row-major order of `shape`. */
  data: Float32Array;
  /** [N, H, W, C] / [N, D, H, W, C] for channelsLast; [N, C, H, W] / [N, C, D, H, W] for channelsFirst. */
  shape: number[];
  /** The layout of `data`. */
  dataFormat: DataFormat;
  /** The seed rate used. */
  gamma: number;
}

/** The generator to draw from: `rng` if given, else xoshiro128** seeded with `seed` (random when absent). */
export function resolveRng(o: { seed?: number; rng?: Rng }): Rng {
  if (o.rng !== undefined) return o.rng;
  assertSeed(o.seed);
  return createRng(o.seed ?? randomSeed());
}

/** Throws unless `f` is `'channelsLast'` or `'channelsFirst'`; the error names the argument. */
export function assertDataFormat(f: unknown, name = 'dataFormat'): asserts f is DataFormat {
  if (f !== 'channelsLast' && f !== 'channelsFirst') {
    throw new TypeError(`${name} must be 'channelsLast' or 'channelsFirst', got ${describeValue(f)}`);
  }
}

/**
 * Broadcasts keep-planes ([Nm * Cm, S] with Nm = 1 when batchwise, Cm = 1 when sharedChannels, S spatial units)
 * to the full mask in the requested layout.
 */
export function expandPlanes(
  keep: Uint8Array,
  batch: number,
  channels: number,
  spatial: number,
  sharedChannels: boolean,
  batchwise: boolean,
  dataFormat: DataFormat,
): Float32Array {
  const out = new Float32Array(batch * channels * spatial);
  const cm = sharedChannels ? 1 : channels;
  for (let n = 0; n < batch; n++) {
    for (let c = 0; c < channels; c++) {
      const plane = ((batchwise ? 0 : n) * cm + (sharedChannels ? 0 : c)) * spatial;
      if (dataFormat === 'channelsFirst') {
        const o = (n * channels + c) * spatial;
        for (let s = 0; s < spatial; s++) out[o + s] = keep[plane + s];
      } else {
        const o = n * spatial * channels + c;
        for (let s = 0; s < spatial; s++) out[o + s * channels] = keep[plane + s];
      }
    }
  }
  return out;
}
