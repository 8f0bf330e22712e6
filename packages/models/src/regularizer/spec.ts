/**
 * The regulariser a network is built with, as plain data.
 *
 * The report trains every network "in five different ways" (no regulariser, Dropout, SpatialDropout, DropBlock with
 * block 3, DropBlock with block 7). Keeping the choice as a small tagged value, instead of a layer factory, lets the
 * report's settings be written down, compared, printed and serialised as data (see `reportVariants`).
 */

import { assertKeepProb, assertPositiveInteger, describeValue } from '@db/core';
import { assertKnownOptions } from '@db/core';
import { REGULARIZER_KEYS } from '../option-keys.js';

/** No regulariser: the network is built without any extra layer. */
export interface NoRegularizer {
  readonly kind: 'none';
}

/** Unit-wise Dropout (Srivastava et al., 2014): every activation is dropped independently with probability `rate`. */
export interface DropoutRegularizer {
  readonly kind: 'dropout';
  /** Fraction of activations dropped, in [0, 1). */
  readonly rate: number;
}

/** SpatialDropout (Tompson et al., 2015): whole feature maps (channels) are dropped with probability `rate`. */
export interface SpatialDropoutRegularizer {
  readonly kind: 'spatialDropout';
  /** Fraction of channels dropped, in [0, 1). */
  readonly rate: number;
}

/** DropBlock (Ghiasi, Lin, Le, NeurIPS 2018): contiguous `blockSize x blockSize` regions are dropped. */
export interface DropBlockRegularizer {
  readonly kind: 'dropBlock';
  /** Side of the square block dropped around each sampled seed (paper section 3: `block_size`). */
  readonly blockSize: number;
  /** Probability of keeping an activation (paper: `keep_prob`); the seed rate gamma is derived from it. */
  readonly keepProb: number;
}

/** One of the four regularisers the report compares. Build one with the constructors in {@link regularizer}. */
export type RegularizerSpec = NoRegularizer | DropoutRegularizer | SpatialDropoutRegularizer | DropBlockRegularizer;

/** The `kind` tag of a {@link RegularizerSpec}. */
export type RegularizerKind = RegularizerSpec['kind'];

function checkRate(rate: number, argument: string): void {
  if (typeof rate !== 'number') throw new TypeError(`${argument} must be a number in [0, 1), got ${describeValue(rate)}`);
  if (!Number.isFinite(rate) || rate < 0 || rate >= 1) {
    throw new RangeError(`${argument} must be a number in [0, 1), got ${describeValue(rate)}`);
  }
}

function checkBlockSize(blockSize: number): void {
  assertPositiveInteger(blockSize, 'blockSize');
}

function checkKeepProb(keepProb: number): void {
  // keepProb = 0 would mean "drop everything": gamma explodes and the rescaling divides by zero.
  assertKeepProb(keepProb);
}

/** No regulariser. */
function none(): NoRegularizer {
  return { kind: 'none' };
}

/** Dropout with the given drop `rate` (the report uses 0.25). */
function dropout(rate: number): DropoutRegularizer {
  checkRate(rate, 'rate');
  return { kind: 'dropout', rate };
}

/** SpatialDropout with the given channel drop `rate` (the report uses 0.7, and 0.3 for DenseNet). */
function spatialDropout(rate: number): SpatialDropoutRegularizer {
  checkRate(rate, 'rate');
  return { kind: 'spatialDropout', rate };
}

/** DropBlock with the given `blockSize` and `keepProb` (the report uses (3, 0.9) and (7, 0.9)). */
function dropBlock(blockSize: number, keepProb: number): DropBlockRegularizer {
  checkBlockSize(blockSize);
  checkKeepProb(keepProb);
  return { kind: 'dropBlock', blockSize, keepProb };
}

/**
 * Constructors for {@link RegularizerSpec} values, so the report's settings read as data:
 * `regularizer.dropout(0.25)`, `regularizer.spatialDropout(0.7)`, `regularizer.dropBlock(3, 0.9)`.
 * Each checks its arguments and throws a `RangeError` naming the bad one.
 */
export const regularizer = { none, dropout, spatialDropout, dropBlock } as const;

/**
 * Checks a spec that may come from untrusted data (JSON, CLI) and returns it unchanged. Throws an error naming the
 * offending field.
 */
export function validateRegularizer(spec: RegularizerSpec): RegularizerSpec {
  if (spec == null || typeof spec !== 'object') {
    throw new TypeError(`regularizer must be a RegularizerSpec object, got ${describeValue(spec)}`);
  }
  if (Object.hasOwn(REGULARIZER_KEYS, spec.kind)) {
    assertKnownOptions(spec, REGULARIZER_KEYS[spec.kind], `regularizer (${spec.kind})`);
  }
  switch (spec.kind) {
    case 'none':
      return spec;
    case 'dropout':
    case 'spatialDropout':
      checkRate(spec.rate, 'regularizer.rate');
      return spec;
    case 'dropBlock':
      checkBlockSize(spec.blockSize);
      checkKeepProb(spec.keepProb);
      return spec;
    default:
      throw new TypeError(
        "regularizer.kind must be 'none', 'dropout', 'spatialDropout' or 'dropBlock', " +
          `got ${describeValue((spec as { kind?: unknown }).kind)}`,
      );
  }
}

/**
 * The spec written as the report's tables write it: `Dropout(0.25)`, `SpatialDropout(0.7)`,
 * `DropBlock(bs = 3, kp = 0.9)`; `none` for no regulariser.
 */
export function describeRegularizer(spec: RegularizerSpec): string {
  switch (spec.kind) {
    case 'none':
      return 'none';
    case 'dropout':
      return `Dropout(${spec.rate})`;
    case 'spatialDropout':
      return `SpatialDropout(${spec.rate})`;
    case 'dropBlock':
      return `DropBlock(bs = ${spec.blockSize}, kp = ${spec.keepProb})`;
  }
}
