import * as tf from '@tensorflow/tfjs-core';
import { computeGamma, computeGamma3d, createRng, randomSeed } from '@db/core';
import { drawSeeds, type SeedMapGeometry } from './seed-map.js';
import type { ResolvedOptions } from './validate.js';

/**
 * Windows at or above which the 2D block expansion pools separably (kh x 1, then 1 x kw; exact, since the max
 * over a box is the max of the row maxima) instead of with one kh x kw window: k^2 comparisons per unit
 * become 2k. Below it, one pass over the data beats two (measured with `pnpm bench:op` on wasm and cpu).
 */
const SEPARABLE_FROM = 5;

type Pad4 = [[number, number], [number, number], [number, number], [number, number]];

/**
 * Stride-1 max pool along axis 1 or 2 of a 4D tensor with window k. Output u is the max over map positions
 * u .. u + k - 1 of the (border-)padded seed map, i.e. over the seeds s in [u - k + 1, u] of the valid region:
 * exactly those whose block (seed = first unit of the block) covers u. `explicitPad`: the map is the bare valid
 * region and the pool pads it by k - 1 on both sides (out-of-range positions are ignored by max pooling);
 * otherwise the map already carries that border and the pool is 'valid'.
 */
function poolAxis(t: tf.Tensor4D, axis: 1 | 2, k: number, explicitPad: boolean): tf.Tensor4D {
  if (k === 1) return t;
  const window: [number, number] = axis === 1 ? [k, 1] : [1, k];
  if (!explicitPad) return tf.maxPool(t, window, 1, 'valid');
  const pad: Pad4 = [[0, 0], [0, 0], [0, 0], [0, 0]];
  pad[axis] = [k - 1, k - 1];
  return tf.maxPool(t, window, 1, pad);
}

/** Expands a [B, vh, vw, C] (or bordered [B, H + kh - 1, W + kw - 1, C]) seed map to blocks: [B, H, W, C]. */
function expand2d(s: tf.Tensor4D, kh: number, kw: number, explicitPad: boolean): tf.Tensor4D {
  if (kh === 1 && kw === 1) return s;
  if (Math.max(kh, kw) >= SEPARABLE_FROM) {
    return poolAxis(poolAxis(s, 1, kh, explicitPad), 2, kw, explicitPad);
  }
  const pad: Pad4 | 'valid' = explicitPad ? [[0, 0], [kh - 1, kh - 1], [kw - 1, kw - 1], [0, 0]] : 'valid';
  return tf.maxPool(s, [kh, kw], 1, pad);
}

/**
 * Expands the seed map [B, dm, hm, wm, C] to blocks, [B, D, H, W, C], with 2D max pools only (so it runs
 * wherever MaxPool does): depth first on a [B, dm, hm * wm, C] view, then height and width per depth slice.
 */
function expandBlocks(
  seeds: tf.Tensor,
  block: readonly [number, number, number],
  out: readonly number[],
  explicitPad: boolean,
): tf.Tensor {
  const [b, dm, hm, wm, c] = seeds.shape as number[];
  const [kd, kh, kw] = block;
  const [D, H, W] = out;
  let t = tf.reshape(seeds, [b, dm, hm * wm, c]) as tf.Tensor4D;
  t = poolAxis(t, 1, kd, explicitPad); // [b, D, hm * wm, c]
  const planes = expand2d(tf.reshape(t, [b * D, hm, wm, c]) as tf.Tensor4D, kh, kw, explicitPad); // [b * D, H, W, c]
  return tf.reshape(planes, [b, D, H, W, c]);
}

/**
 * Whether the active backend's MaxPool accepts explicit padding. tfjs-node's ('tensorflow') kernel accepts only
 * 'valid' and 'same'; cpu, wasm and webgl take explicit padding, which lets the seed map be just the valid
 * region (measured faster on cpu for large blocks, `pnpm bench:op`).
 */
function explicitPoolPadding(): boolean {
  return tf.getBackend() !== 'tensorflow';
}

/** How the block expansion pads: chosen per backend, or forced (tests exercise both paths on one backend). */
export type PoolPadding = 'auto' | 'explicit' | 'border';

/**
 * Shared body of dropBlock2d / dropBlock3d for a validated, training-mode call with keepProb < 1
 * (Ghiasi et al. 2018, Algorithm 1): seeds in the valid region, block expansion by max pooling, then mask
 * and rescale by count(mask) / count_ones(mask) applied in one elementwise pass.
 */
export function dropBlockImpl<T extends tf.Tensor>(
  x: T,
  o: ResolvedOptions,
  is3d: boolean,
  padding: PoolPadding = 'auto',
): T {
  const cf = o.dataFormat === 'channelsFirst';
  const shape = x.shape as number[];
  const n = shape[0];
  const c = cf ? shape[1] : shape[shape.length - 1];
  const spatial = cf ? shape.slice(2) : shape.slice(1, shape.length - 1);
  const [D, H, W] = is3d ? (spatial as [number, number, number]) : [1, spatial[0], spatial[1]];
  const gamma = is3d
    ? computeGamma3d({ keepProb: o.keepProb, blockSize: o.blockSize, depth: D, height: H, width: W })
    : computeGamma({ keepProb: o.keepProb, blockSize: o.blockSize, height: H, width: W });
  const kd = is3d ? Math.min(o.blockSize, D) : 1;
  const kh = Math.min(o.blockSize, H);
  const kw = Math.min(o.blockSize, W);
  const nm = o.batchwise ? 1 : n;
  const cm = o.sharedChannels ? 1 : c;
  // channelsFirst input: either fold channels into the batch, so pooling yields [nm * cm, ..., 1] which reshapes
  // to [nm, cm, ...] without a transpose, or pool channels-last and transpose the result. XNNPACK (the wasm
  // backend) vectorises pooling over channels, so a single channel is ~6x slower there and the transpose wins;
  // elsewhere folding is as fast and saves the transpose. With cm = 1 both layouts coincide.
  const poolChannelsLast = cf && cm > 1 && tf.getBackend() === 'wasm';
  const explicitPad = padding === 'auto' ? explicitPoolPadding() : padding === 'explicit';
  const geometry: SeedMapGeometry = {
    nm,
    cm,
    sizes: [D, H, W],
    block: [kd, kh, kw],
    foldChannels: cf && !poolChannelsLast,
    border: !explicitPad,
  };
  const seeds = drawSeeds(createRng(o.seed ?? randomSeed()), gamma, geometry);
  // No seed fired: the mask is all ones and the scale 1; return a copy like tf.dropout does at rate 0.
  if (seeds.indices.length === 0) return tf.clone(x);
  const keptUnits = seeds.totalUnits - seeds.droppedUnits;
  // Everything dropped: the output is zeros (and so is the gradient), never 0/0 = NaN.
  if (keptUnits === 0) return tf.zerosLike(x);
  // Rescale by count(mask) / count_ones(mask) over the whole batch (Ghiasi et al. 2018, Algorithm 1, line 8),
  // computed exactly from the seeds in double precision.
  const scale = seeds.totalUnits / keptUnits;

  return tf.tidy(() => {
    // Seed map: +Infinity at seeds, 1 / scale elsewhere (border included). Max pooling (an OR over the seeds
    // whose block covers a unit) turns it into the divisor map: +Infinity on dropped units, 1 / scale on kept
    // ones. Then a single division applies mask and rescale at once: x / (1 / scale) = x * scale and
    // x / Infinity = 0 for finite x (IEEE 754; an infinite x gives NaN, as x * 0 would). A multiply-based mask
    // would need an extra pass, because max pooling marks dropped units with the larger value.
    const size = seeds.shape.reduce((a, b) => a * b, 1);
    const seedMap = tf.reshape(
      tf.sparseToDense(tf.tensor1d(seeds.indices, 'int32'), tf.scalar(Number.POSITIVE_INFINITY), [size], tf.scalar(1 / scale)),
      seeds.shape,
    );
    let divisor = expandBlocks(seedMap, [kd, kh, kw], [D, H, W], explicitPad); // [B, D, H, W, C']
    if (poolChannelsLast) divisor = tf.transpose(tf.reshape(divisor, [nm, D * H * W, cm]), [0, 2, 1]); // [nm, cm, DHW]
    // A shape that broadcasts against x.
    const spatialOut = is3d ? [D, H, W] : [H, W];
    const target = cf ? [nm, cm, ...spatialOut] : [nm, ...spatialOut, cm];
    // The divisor derives from constants only (the uploaded seed indices), so d(out)/dx = 1 / divisor =
    // mask * scale: the gradient is the same mask times the same scale, as DropBlock requires.
    return tf.div(x, tf.reshape(divisor, target)) as T;
  });
}
