import type { Tensor5D } from '@tensorflow/tfjs-core';
import { dropBlockImpl } from './drop-block.js';
import { resolveOptions, type DropBlockOpOptions } from './validate.js';

/**
 * The DropBlock **op** for 3D feature volumes (for the layer see {@link dropBlock3D}): as {@link dropBlock2d} with kd x kh x kw blocks (each side
 * min(blockSize, size)), seeds drawn in the (D - kd + 1) x (H - kh + 1) x (W - kw + 1) valid region at rate
 * `computeGamma3d` of `@db/core`, expanded by a stride-1 3D max pool.
 *
 * @param x A float32 tensor [N, D, H, W, C] (channelsLast, default) or [N, C, D, H, W] (channelsFirst).
 * @param options As for {@link dropBlock2d}.
 * @returns A tensor of x's shape and dtype (x itself when not training or keepProb is 1).
 *
 * @group Ops
 */
export function dropBlock3d(x: Tensor5D, options: DropBlockOpOptions): Tensor5D {
  const o = resolveOptions('dropBlock3d', x, 5, options);
  if (!o.training || o.keepProb === 1 || x.size === 0) return x;
  return dropBlockImpl(x, o, true);
}
