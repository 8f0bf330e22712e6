import { validateRegularizer, type RegularizerSpec } from '../regularizer/spec.js';
import { assertPositiveInteger, describeValue } from '@db/core';

/** What every network builder takes. */
export interface NetworkOptions {
  /**
   * Input shape `[height, width, channels]` (channelsLast), e.g. `[32, 32, 3]` for CIFAR-10 or `[28, 28, 1]` for
   * MNIST.
   */
  inputShape: readonly [number, number, number];
  /** Number of classes of the softmax classifier. */
  numClasses: number;
  /** The regulariser and hence the report's "form" of the network. Default: none. */
  regularizer?: RegularizerSpec;
  /**
   * Seed of the weight initialisation (every conv and dense kernel gets its own Glorot-uniform seed derived from it)
   * and, on a separate stream, of the SpatialDropout / DropBlock masks. Two builds with one seed are identical, and
   * the five forms of a network built with one seed start from identical weights. Default 0, as the report's
   * `glorot_uniform(seed=0)`. Dropout layers are left unseeded (see {@link regularizerLayer}).
   */
  seed?: number;
}

/** The checked, defaulted form of {@link NetworkOptions}. */
export interface ResolvedOptions {
  inputShape: [number, number, number];
  numClasses: number;
  regularizer: RegularizerSpec;
  seed: number;
}

/** Checks the shared options, throwing an error that names the bad argument. */
export function resolveOptions(options: NetworkOptions, requireClasses = true): ResolvedOptions {
  if (options == null || typeof options !== 'object') {
    throw new TypeError(`options must be an object with inputShape, numClasses, regularizer and seed, got ${describeValue(options)}`);
  }
  const { inputShape } = options;
  if (!Array.isArray(inputShape)) {
    throw new TypeError(`inputShape must be [height, width, channels] of positive integers (channelsLast), got ${describeValue(inputShape)}`);
  }
  if (
    inputShape.length !== 3 ||
    !inputShape.every((d) => Number.isInteger(d) && d > 0)
  ) {
    throw new RangeError(
      'inputShape must be [height, width, channels] of positive integers (channelsLast), ' +
        `got ${JSON.stringify(inputShape)}`,
    );
  }
  const numClasses = options.numClasses;
  if (requireClasses) assertPositiveInteger(numClasses, 'numClasses');
  const seed = options.seed ?? 0;
  if (typeof seed !== 'number') throw new TypeError(`seed must be an integer, got ${describeValue(seed)}`);
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${describeValue(seed)}`);
  return {
    inputShape: [inputShape[0], inputShape[1], inputShape[2]],
    numClasses,
    regularizer: validateRegularizer(options.regularizer ?? { kind: 'none' }),
    seed,
  };
}

/** Checks an array option of positive integers (block counts and the like). */
export function checkPositiveIntegers(value: readonly number[], argument: string, length?: number): number[] {
  const what = length === undefined ? 'a non-empty array' : `an array of ${length}`;
  if (!Array.isArray(value)) throw new TypeError(`${argument} must be ${what} positive integers, got ${describeValue(value)}`);
  if (
    value.length === 0 ||
    (length !== undefined && value.length !== length) ||
    !value.every((n) => Number.isInteger(n) && n > 0)
  ) {
    throw new RangeError(`${argument} must be ${what} positive integers, got ${JSON.stringify(value)}`);
  }
  return [...value];
}
