import { gammaNd } from './internal/nd.js';
import { assertKnownOptions, optionKeys } from './options.js';
import { assertKeepProb, assertPositiveInteger, describeValue } from './validate.js';

/** DropBlock parameters for one 2D feature map of `height` x `width` units. */
export interface DropBlockParams2d {
  /** Probability that a unit is kept, in (0, 1] (the paper's keep_prob). */
  keepProb: number;
  /** Side of the square block, a positive integer; clipped to the map along each axis. */
  blockSize: number;
  /** Feature-map height H (positive integer). */
  height: number;
  /** Feature-map width W (positive integer). */
  width: number;
}

/** DropBlock parameters for one 3D feature volume of `depth` x `height` x `width` units. */
export interface DropBlockParams3d extends DropBlockParams2d {
  /** Feature-volume depth D (positive integer). */
  depth: number;
}

const PARAMS_2D_KEYS = optionKeys<DropBlockParams2d>()(['keepProb', 'blockSize', 'height', 'width']);
const PARAMS_3D_KEYS = optionKeys<DropBlockParams3d>()(['keepProb', 'blockSize', 'depth', 'height', 'width']);

/** The checks of validateParams2d once the keys are known to be valid. */
function checkParams2d(p: DropBlockParams2d): void {
  if (p === null || typeof p !== 'object') throw new TypeError(`params must be an object, got ${describeValue(p)}`);
  assertKeepProb(p.keepProb);
  assertPositiveInteger(p.blockSize, 'blockSize');
  assertPositiveInteger(p.height, 'height');
  assertPositiveInteger(p.width, 'width');
}

/** Validates 2D parameters; errors name the offending argument (an unknown key too). */
export function validateParams2d(p: DropBlockParams2d): void {
  assertKnownOptions(p, PARAMS_2D_KEYS, 'DropBlock 2D params');
  checkParams2d(p);
}

/** Validates 3D parameters; errors name the offending argument (an unknown key too). */
export function validateParams3d(p: DropBlockParams3d): void {
  assertKnownOptions(p, PARAMS_3D_KEYS, 'DropBlock 3D params');
  checkParams2d(p);
  assertPositiveInteger(p.depth, 'depth');
}

/**
 * The seed rate gamma of DropBlock (Ghiasi, Lin, Le, NeurIPS 2018, Sec. 3, Eq. 1) for a rectangular map with
 * the block clipped to it: kh = min(blockSize, H), kw = min(blockSize, W),
 *
 *   gamma = (1 - keepProb) * H * W / (kh * kw * (H - kh + 1) * (W - kw + 1)).
 *
 * Seeds are Bernoulli(gamma) over the (H - kh + 1) x (W - kw + 1) valid region only, so every block lies inside
 * the map. gamma never exceeds 1 - keepProb.
 *
 * @example computeGamma({ keepProb: 0.9, blockSize: 3, height: 11, width: 11 }) // 0.1 * 121 / (9 * 81)
 */
export function computeGamma(params: DropBlockParams2d): number {
  validateParams2d(params);
  return gammaNd(params.keepProb, [params.height, params.width], params.blockSize);
}

/**
 * The 3D seed rate: with kd, kh, kw the block clipped to the volume,
 * gamma = (1 - keepProb) * D * H * W / (kd * kh * kw * (D - kd + 1) * (H - kh + 1) * (W - kw + 1)).
 */
export function computeGamma3d(params: DropBlockParams3d): number {
  validateParams3d(params);
  return gammaNd(params.keepProb, [params.depth, params.height, params.width], params.blockSize);
}
