import { validateParams2d, validateParams3d, type DropBlockParams2d, type DropBlockParams3d } from './gamma.js';
import { expectedDropFractionNd } from './internal/nd.js';

/**
 * The exact expected fraction of units DropBlock drops on one map:
 *
 *   E[dropped fraction] = mean over units u of 1 - (1 - gamma)^n(u),
 *
 * where n(u) is the number of valid seed positions whose kh x kw block covers u. Because blocks overlap (and
 * border units are covered by fewer seeds) this is below 1 - keepProb: 0.0949 for 11x11, blockSize 3,
 * keepProb 0.9; 0.1804 at keepProb 0.8; 0.093 for 14x14, blockSize 7; exactly 0.1 for 7x7, blockSize 7.
 * It is what a sampled mask's drop rate converges to, which is how the samplers are tested.
 */
export function expectedDropFraction(params: DropBlockParams2d): number {
  validateParams2d(params);
  return expectedDropFractionNd(params.keepProb, [params.height, params.width], params.blockSize);
}

/** The 3D analogue of {@link expectedDropFraction}: n(u) counts valid seeds whose kd x kh x kw block covers u. */
export function expectedDropFraction3d(params: DropBlockParams3d): number {
  validateParams3d(params);
  return expectedDropFractionNd(params.keepProb, [params.depth, params.height, params.width], params.blockSize);
}
