import { assertKnownOptions, optionKeys } from '../options.js';
import { computeGamma } from '../gamma.js';
import { assertPositiveInteger } from '../validate.js';
import { assertDataFormat, expandPlanes, resolveRng, type DropBlockMask, type MaskSamplingOptions } from './options.js';
import { sampleKeepPlanes } from './planes.js';

/** Options of {@link sampleDropBlockMask}: a batch of N x C maps of `height` x `width`. */
export interface MaskSamplingOptions2d extends MaskSamplingOptions {
  /** Feature-map height H. */
  height: number;
  /** Feature-map width W. */
  width: number;
}

/**
 * Reference DropBlock mask sampler for a batch of 2D feature maps, on plain typed arrays (no framework).
 *
 * Follows Ghiasi et al. 2018, Algorithm 1: seeds ~ Bernoulli(gamma) ({@link computeGamma}) at the top-left
 * corners of the valid region (H - kh + 1) x (W - kw + 1), each seed zeroing the kh x kw block it starts, with
 * kh = min(blockSize, H), kw = min(blockSize, W). By default every (sample, channel) map gets its own mask;
 * `sharedChannels` shares one mask across channels and `batchwise` one mask across the batch.
 *
 * Seeds are drawn by `drawBernoulliSeeds` in the flat order [Nm, Cm, H - kh + 1, W - kw + 1] (Nm = 1 when
 * batchwise, Cm = 1 when sharedChannels), the same order the TF.js op uses, so equal seeds give equal masks.
 */
const MASK_2D_KEYS = optionKeys<MaskSamplingOptions2d>()(['batch', 'channels', 'height', 'width', 'keepProb', 'blockSize', 'seed', 'rng', 'sharedChannels', 'batchwise', 'dataFormat']);

export function sampleDropBlockMask(options: MaskSamplingOptions2d): DropBlockMask {
  assertKnownOptions(options, MASK_2D_KEYS, 'sampleDropBlockMask options');
  const { batch, channels, height, width, keepProb, blockSize } = options;
  assertPositiveInteger(batch, 'batch');
  assertPositiveInteger(channels, 'channels');
  const gamma = computeGamma({ keepProb, blockSize, height, width });
  const dataFormat = options.dataFormat ?? 'channelsLast';
  assertDataFormat(dataFormat);
  const sharedChannels = options.sharedChannels ?? false;
  const batchwise = options.batchwise ?? false;
  const rng = resolveRng(options);
  const planes = (batchwise ? 1 : batch) * (sharedChannels ? 1 : channels);
  const kh = Math.min(blockSize, height);
  const kw = Math.min(blockSize, width);
  const keep = sampleKeepPlanes(rng, gamma, planes, [1, height, width], [1, kh, kw]);
  const data = expandPlanes(keep, batch, channels, height * width, sharedChannels, batchwise, dataFormat);
  const shape = dataFormat === 'channelsFirst' ? [batch, channels, height, width] : [batch, height, width, channels];
  return { data, shape, dataFormat, gamma };
}
