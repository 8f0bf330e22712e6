import type { Rng } from '../prng.js';
import { drawBernoulliSeeds } from './seeds.js';

/**
 * Samples `planes` independent DropBlock keep-masks of `depth x height x width` units (2D maps use depth 1 and
 * blockDepth 1). Returns a 0/1 array laid out [planes, depth, height, width] (1 = kept).
 *
 * Seeds are the top-left(-front) corners of blocks and are drawn only in the valid region
 * [0, D - kd] x [0, H - kh] x [0, W - kw], in the canonical flat order [plane, d, h, w] of that region; each seed
 * zeroes the kd x kh x kw box that starts at it, so every dropped unit belongs to a whole block inside the map
 * (Ghiasi et al. 2018, Algorithm 1, with the valid-region seeding of Sec. 3 "block_size" / Fig. 2).
 * Using the corner rather than the centre as the seed makes even block sizes well defined.
 */
export function sampleKeepPlanes(
  rng: Rng,
  gamma: number,
  planes: number,
  sizes: readonly [number, number, number],
  block: readonly [number, number, number],
): Uint8Array {
  const [D, H, W] = sizes;
  const [kd, kh, kw] = block;
  const vd = D - kd + 1;
  const vh = H - kh + 1;
  const vw = W - kw + 1;
  const planeSize = D * H * W;
  const keep = new Uint8Array(planes * planeSize).fill(1);
  const perPlane = vd * vh * vw;
  drawBernoulliSeeds(rng, gamma, planes * perPlane, (index) => {
    const p = Math.floor(index / perPlane);
    let r = index - p * perPlane;
    const d0 = Math.floor(r / (vh * vw));
    r -= d0 * vh * vw;
    const h0 = Math.floor(r / vw);
    const w0 = r - h0 * vw;
    const base = p * planeSize;
    for (let d = d0; d < d0 + kd; d++) {
      for (let h = h0; h < h0 + kh; h++) {
        const row = base + (d * H + h) * W;
        keep.fill(0, row + w0, row + w0 + kw);
      }
    }
  });
  return keep;
}
