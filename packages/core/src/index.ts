/**
 * `@db/core`: DropBlock's math on plain numbers and typed arrays, with no framework dependency.
 *
 * - {@link computeGamma} / {@link computeGamma3d}: the seed rate (Ghiasi et al. 2018, Eq. 1) for clipped blocks.
 * - {@link expectedDropFraction} / {@link expectedDropFraction3d}: the exact expected dropped fraction.
 * - {@link createRng}: a seeded xoshiro128** generator; {@link drawBernoulliSeeds}: geometric-gap seed drawing.
 * - {@link sampleDropBlockMask} / {@link sampleDropBlockMask3d}: reference mask samplers.
 *
 * @packageDocumentation
 *
 * @example
 * ```ts
 * import { computeGamma, expectedDropFraction, sampleDropBlockMask } from '@db/core';
 *
 * const params = { keepProb: 0.9, blockSize: 3, height: 11, width: 11 };
 * console.log(computeGamma(params));         // 0.0166 (Eq. 1 of the paper)
 * console.log(expectedDropFraction(params)); // 0.0949: below 1 - keepProb, because blocks overlap
 *
 * const mask = sampleDropBlockMask({ ...params, batch: 2, channels: 4, seed: 42 });
 * console.log(mask.shape, mask.data.length); // [2, 11, 11, 4] 968 (1 = kept, 0 = dropped)
 * ```
 */
export { computeGamma, computeGamma3d, validateParams2d, validateParams3d } from './gamma.js';
export type { DropBlockParams2d, DropBlockParams3d } from './gamma.js';
export { expectedDropFraction, expectedDropFraction3d } from './expected-drop.js';
export { createRng, deriveSeed, mix32, randomSeed, toSeed32 } from './prng.js';
export type { Rng } from './prng.js';
export { drawBernoulliSeeds } from './mask/seeds.js';
export { sampleKeepPlanes } from './mask/planes.js';
export { sampleDropBlockMask } from './mask/sample2d.js';
export type { MaskSamplingOptions2d } from './mask/sample2d.js';
export { sampleDropBlockMask3d } from './mask/sample3d.js';
export type { MaskSamplingOptions3d } from './mask/sample3d.js';
export { assertDataFormat } from './mask/options.js';
export type { DataFormat, DropBlockMask, MaskSamplingOptions } from './mask/options.js';
export { assertKeepProb, assertNonNegativeInteger, assertPositiveInteger, assertSeed, describeValue } from './validate.js';
export { assertKnownOptions, nearestName, optionKeys, optionNameDistance } from './options.js';
