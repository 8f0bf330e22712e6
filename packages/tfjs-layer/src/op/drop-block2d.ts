import type { Tensor4D } from '@tensorflow/tfjs-core';
import { dropBlockImpl } from './drop-block.js';
import { resolveOptions, type DropBlockOpOptions } from './validate.js';

/**
 * The DropBlock **op** (lower-case `d`; for the layer see {@link dropBlock2D}): DropBlock (Ghiasi, Lin, Le, NeurIPS
 * 2018) applied once to a batch of 2D feature maps, built from standard TF.js ops so it runs on every backend
 * (tensorflow, wasm, webgl, cpu).
 *
 * In training mode it drops contiguous kh x kw blocks (kh = min(blockSize, H), kw = min(blockSize, W)):
 * seeds ~ Bernoulli(gamma) (`computeGamma` of `@db/core`) at block top-left corners inside the valid region,
 * expanded to blocks by a stride-1 max pool, and mask plus rescale by count(mask) / count_ones(mask) over the
 * batch applied in one elementwise pass (0 output, never NaN, if everything is dropped).
 * `blockSize` 1 is dropout; a block as large as the map is SpatialDropout (whole maps dropped with
 * probability 1 - keepProb).
 *
 * Returns `x` itself (not a copy) when `training` is false or `keepProb` is 1. The gradient with respect to x is
 * the applied mask times the scale.
 *
 * @param x A float32 tensor [N, H, W, C] (channelsLast, default) or [N, C, H, W] (channelsFirst).
 * @param options keepProb, blockSize and optional training (default true), seed, dataFormat, sharedChannels,
 *   batchwise.
 * @returns A tensor of x's shape and dtype.
 *
 * @example
 * const y = dropBlock2d(x, { keepProb: 0.9, blockSize: 7, seed: 1 });
 *
 * @group Ops
 */
export function dropBlock2d(x: Tensor4D, options: DropBlockOpOptions): Tensor4D {
  const o = resolveOptions('dropBlock2d', x, 4, options);
  if (!o.training || o.keepProb === 1 || x.size === 0) return x;
  return dropBlockImpl(x, o, false);
}
