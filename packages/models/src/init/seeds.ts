import * as tfl from '@tensorflow/tfjs-layers';
import { assertNonNegativeInteger, describeValue } from '@db/core';

/**
 * Hands out one derived seed per layer from a network's single `seed`.
 *
 * Keras' report code passes `glorot_uniform(seed=0)` to every conv, which makes every kernel of one shape identical;
 * here each layer gets its own seed, derived deterministically from the network seed and the layer's position, so
 * two builds with one seed are identical and different seeds give different weights. The derivation is a 32-bit
 * integer hash (the finaliser of MurmurHash3) of (seed, stream, counter), kept below 2^31 so every consumer accepts it.
 */
export class SeedSequence {
  private counter = 0;

  /**
   * @param seed - The network's seed.
   * @param stream - Independent streams from one seed (e.g. 0 for weights, 1 for regulariser masks), so adding or
   *   removing regulariser layers never shifts the seeds the weights get: the five forms of a network start from
   *   identical weights.
   */
  constructor(
    private readonly seed: number,
    private readonly stream = 0,
  ) {
    if (typeof seed !== 'number') throw new TypeError(`seed must be an integer, got ${describeValue(seed)}`);
    if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${describeValue(seed)}`);
    assertNonNegativeInteger(stream, 'stream');
  }

  /** The next derived seed, an integer in [0, 2^31). */
  next(): number {
    this.counter += 1;
    // Fold the (possibly large or negative) seed into 32 bits, then mix it with the counter.
    let h =
      (Math.imul(this.seed | 0, 0x9e3779b1) ^
        Math.floor(this.seed / 2 ** 32) ^
        Math.imul(this.counter, 0x85ebca6b) ^
        Math.imul(this.stream + 1, 0x27d4eb2f)) >>>
      0;
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b) >>> 0;
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35) >>> 0;
    h ^= h >>> 16;
    return h & 0x7fffffff;
  }

  /**
   * A seeded Glorot-uniform initializer (Glorot & Bengio, 2010), the Keras default for Conv2D and Dense kernels and
   * what the report's ResNet code passes explicitly.
   */
  glorotUniform(): ReturnType<typeof tfl.initializers.glorotUniform> {
    return tfl.initializers.glorotUniform({ seed: this.next() });
  }
}

/** Stream of {@link SeedSequence} for layer weights. */
export const WEIGHT_STREAM = 0;
/** Stream of {@link SeedSequence} for regulariser masks (SpatialDropout2D and DropBlock2D seeds). */
export const MASK_STREAM = 1;
/** Stream of {@link SeedSequence} for classifier heads, so a backbone shares its trunk's weights with the classifier.
 */
export const HEAD_STREAM = 2;
