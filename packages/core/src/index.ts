/**
 * `@db/core`: DropBlock's math on plain numbers and typed arrays, with no framework dependency.
 *
 * - {@link computeGamma} / {@link computeGamma3d}: the seed rate (Ghiasi et al. 2018, Eq. 1) for clipped blocks.
 * - {@link expectedDropFraction} / {@link expectedDropFraction3d}: the exact expected dropped fraction.
 * - {@link createRng}: a seeded xoshiro128** generator; {@link drawBernoulliSeeds}: geometric-gap seed drawing.
 * - {@link sampleDropBlockMask} / {@link sampleDropBlockMask3d}: reference mask samplers.
 *
 * @packageDocumentation
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
