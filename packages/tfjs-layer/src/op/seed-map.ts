import { drawBernoulliSeeds, type Rng } from '@db/core';

/** Geometry of the seed map that the block expansion pools over. */
export interface SeedMapGeometry {
  /** Mask planes along the batch axis: 1 when batchwise, else N. */
  nm: number;
  /** Mask planes along the channel axis: 1 when sharedChannels, else C. */
  cm: number;
  /** Map sizes [D, H, W] (D = 1 for 2D maps). */
  sizes: readonly [number, number, number];
  /** Block clipped to the map, [kd, kh, kw] (kd = 1 for 2D maps). */
  block: readonly [number, number, number];
  /**
   * true: channels folded into the batch axis, map laid out [nm * cm, vd, vh, vw, 1] (channelsFirst inputs:
   * the pooled result then reshapes to [nm, cm, D, H, W] without a transpose); false: [nm, vd, vh, vw, cm].
   */
  foldChannels: boolean;
  /**
   * true: the map carries a border of k - 1 non-seeds on each side of each spatial axis, for 'valid' pooling
   * (backends without explicit pool padding, e.g. tensorflow); false: the map is just the valid region and the
   * pooling pads it by k - 1 explicitly (cheaper: smaller map, fewer first-pass outputs when separable).
   */
  border: boolean;
}

/** Seeds of one call: where they are in the seed map, and how many units their blocks drop in total. */
export interface DrawnSeeds {
  /** Flat positions of the seeds in the seed map, ascending. */
  indices: Int32Array;
  /**
   * Seed-map shape: [B, vd, vh, vw, C'] (the valid region), or with `border`
   * [B, D + kd - 1, H + kh - 1, W + kw - 1, C'], the valid region at offset (kd - 1, kh - 1, kw - 1).
   * Either way a stride-1 max pool of window [kd,] kh, kw (padded by k - 1 on each side in the first case,
   * 'valid' in the second) gives back [D,] H, W.
   */
  shape: number[];
  /** Units of all mask planes covered by at least one block: count(mask) - count_ones(mask). */
  droppedUnits: number;
  /** Units of all mask planes: count(mask). */
  totalUnits: number;
}

/**
 * Draws the DropBlock seeds of one call and returns their flat positions in the seed-map layout plus the exact
 * number of dropped units.
 *
 * Only the ~gamma fraction of successes is drawn, via geometric gaps (`drawBernoulliSeeds` of `@db/core`),
 * instead of one uniform per unit as `tf.randomUniform` / `tf.dropout` do (their cost is that per-unit JS
 * loop); and only over the valid region. The dense map is then built on the backend by `tf.sparseToDense`, so
 * the upload is a few thousand int32 indices rather than a full float tensor.
 *
 * The dropped-unit count comes from painting each seed's block into a one-plane bitmap (seeds arrive plane by
 * plane): O(seeds * block volume), a few hundred thousand byte writes for a 4M-unit tensor. Knowing
 * count_ones before the expansion lets the rescale be folded into the seed map itself, so the device does no
 * reduction and a single elementwise pass after pooling.
 *
 * Seeds are drawn in the canonical order [nm, cm, vd, vh, vw] shared with `@db/core`'s reference samplers,
 * so a given seed yields the same mask here and there.
 */
export function drawSeeds(rng: Rng, gamma: number, g: SeedMapGeometry): DrawnSeeds {
  const [D, H, W] = g.sizes;
  const [kd, kh, kw] = g.block;
  const vd = D - kd + 1;
  const vh = H - kh + 1;
  const vw = W - kw + 1;
  const perPlane = vd * vh * vw;
  const planeSize = D * H * W;
  const planes = g.nm * g.cm;
  const od = g.border ? kd - 1 : 0; // offset of the valid region in the map
  const oh = g.border ? kh - 1 : 0;
  const ow = g.border ? kw - 1 : 0;
  const dp = vd + 2 * od;
  const hp = vh + 2 * oh;
  const wp = vw + 2 * ow;
  const cLast = g.foldChannels ? 1 : g.cm;
  const found: number[] = [];
  const painted = new Uint8Array(planeSize);
  let currentPlane = -1;
  let dropped = 0;
  drawBernoulliSeeds(rng, gamma, planes * perPlane, (index) => {
    const p = Math.floor(index / perPlane);
    const r = index - p * perPlane; // (d0 * vh + h0) * vw + w0
    const d0 = Math.floor(r / (vh * vw));
    const rem = r - d0 * vh * vw;
    const h0 = Math.floor(rem / vw);
    const w0 = rem - h0 * vw;
    // Batch entry and channel of plane p in the map layout.
    const b = g.foldChannels ? p : Math.floor(p / g.cm);
    const c = g.foldChannels ? 0 : p - b * g.cm;
    found.push((((b * dp + d0 + od) * hp + h0 + oh) * wp + w0 + ow) * cLast + c);
    if (p !== currentPlane) {
      painted.fill(0);
      currentPlane = p;
    }
    for (let d = d0; d < d0 + kd; d++) {
      for (let h = h0; h < h0 + kh; h++) {
        const row = (d * H + h) * W;
        for (let w = w0; w < w0 + kw; w++) {
          if (painted[row + w] === 0) {
            painted[row + w] = 1;
            dropped++;
          }
        }
      }
    }
  });
  const indices = Int32Array.from(found);
  // sparseToDense does not require order, but ascending indices make its scatter cache-friendly. (Plane-major
  // draw order is already ascending when each plane is a contiguous block of the map.)
  if (!(g.foldChannels || g.cm === 1)) indices.sort();
  const batch = g.foldChannels ? planes : g.nm;
  return { indices, shape: [batch, dp, hp, wp, cLast], droppedUnits: dropped, totalUnits: planes * planeSize };
}
