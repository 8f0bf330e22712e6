import { assertKnownOptions, optionKeys } from '../options.js';
import { computeGamma3d } from '../gamma.js';
import { assertPositiveInteger } from '../validate.js';
import { assertDataFormat, expandPlanes, resolveRng, type DropBlockMask, type MaskSamplingOptions } from './options.js';
import { sampleKeepPlanes } from './planes.js';

/** Options of {@link sampleDropBlockMask3d}: a batch of N x C volumes of `depth` x `height` x `width`. */
export interface MaskSamplingOptions3d extends MaskSamplingOptions {
  /** Volume depth D. */
  depth: number;
  /** Volume height H. */
  height: number;
  /** Volume width W. */
  width: number;
}

/**
 * Reference DropBlock mask sampler for 3D volumes: as {@link sampleDropBlockMask} with cubic blocks
 * kd x kh x kw (each side min(blockSize, size)), seeds at the front-top-left corners of the valid region
 * (D - kd + 1) x (H - kh + 1) x (W - kw + 1), drawn in flat order [Nm, Cm, vd, vh, vw], and
 * gamma from {@link computeGamma3d}. Shapes are [N, D, H, W, C] (channelsLast) or [N, C, D, H, W].
 */
const MASK_3D_KEYS = optionKeys<MaskSamplingOptions3d>()(['batch', 'channels', 'depth', 'height', 'width', 'keepProb', 'blockSize', 'seed', 'rng', 'sharedChannels', 'batchwise', 'dataFormat']);

export function sampleDropBlockMask3d(options: MaskSamplingOptions3d): DropBlockMask {
  assertKnownOptions(options, MASK_3D_KEYS, 'sampleDropBlockMask3d options');
  const { batch, channels, depth, height, width, keepProb, blockSize } = options;
  assertPositiveInteger(batch, 'batch');
  assertPositiveInteger(channels, 'channels');
  const gamma = computeGamma3d({ keepProb, blockSize, depth, height, width });
  const dataFormat = options.dataFormat ?? 'channelsLast';
  assertDataFormat(dataFormat);
  const sharedChannels = options.sharedChannels ?? false;
  const batchwise = options.batchwise ?? false;
  const rng = resolveRng(options);
  const planes = (batchwise ? 1 : batch) * (sharedChannels ? 1 : channels);
  const block = [Math.min(blockSize, depth), Math.min(blockSize, height), Math.min(blockSize, width)] as const;
  const keep = sampleKeepPlanes(rng, gamma, planes, [depth, height, width], block);
  const data = expandPlanes(keep, batch, channels, depth * height * width, sharedChannels, batchwise, dataFormat);
  const shape =
    dataFormat === 'channelsFirst' ? [batch, channels, depth, height, width] : [batch, depth, height, width, channels];
  return { data, shape, dataFormat, gamma };
}
