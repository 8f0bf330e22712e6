/**
 * A small, fast, seedable PRNG so that masks are reproducible without any framework.
 *
 * Algorithm: xoshiro128** (Blackman & Vigna, "Scrambled linear pseudorandom number generators", 2018/2021):
 * 128 bits of state, period 2^128 - 1, passes BigCrush, and uses only 32-bit integer arithmetic
 * (`Math.imul`, shifts), which JavaScript does exactly. Its four state words are filled from the seed by
 * splitmix32 (a 32-bit variant of Steele, Lea & Flood's SplitMix with the murmur3-style finaliser), which
 * guarantees a non-zero state and decorrelates nearby seeds (0, 1, 2, ... give unrelated streams).
 *
 * A `(seed, stream)` pair selects the generator: DropBlock layers keep `seed` fixed and advance `stream` once
 * per call, so a seeded run is reproducible while each training step still draws a fresh mask.
 */

import { describeValue } from './validate.js';

/** A source of uniform random numbers. */
export interface Rng {
  /** The next uniform 32-bit unsigned integer in [0, 2^32). */
  nextUint32(): number;
  /** The next uniform float in [0, 1), with 32 bits of resolution (steps of 2^-32). */
  nextFloat(): number;
}

/** murmur3's 32-bit finaliser: a bijective avalanche mix of a 32-bit integer. */
export function mix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Reduces any finite number to 32 bits: the integer part modulo 2^32 (negative values wrap). */
export function toSeed32(seed: number): number {
  if (typeof seed !== 'number') throw new TypeError(`seed must be a finite number, got ${describeValue(seed)}`);
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${describeValue(seed)}`);
  return Number(BigInt.asUintN(32, BigInt(Math.trunc(seed))));
}

/**
 * Derives one 32-bit seed from a base seed and a counter (e.g. the training step), such that different
 * counters give unrelated seeds. Used to make a fixed layer seed yield a different mask at every call.
 */
export function deriveSeed(seed: number, counter: number): number {
  return mix32((toSeed32(seed) ^ mix32((toSeed32(counter) + 0x9e3779b9) >>> 0)) >>> 0);
}

/** A uniformly random 32-bit seed from `Math.random` (for calls made without a seed). */
export function randomSeed(): number {
  return Math.floor(Math.random() * 0x100000000) >>> 0;
}

const TWO_POW_MINUS_32 = 1 / 0x100000000;

class Xoshiro128StarStar implements Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed32: number) {
    // splitmix32: Weyl sequence step 0x9e3779b9 followed by a finaliser; four outputs fill the state.
    let z = seed32 >>> 0;
    const next = (): number => {
      z = (z + 0x9e3779b9) >>> 0;
      let t = z ^ (z >>> 16);
      t = Math.imul(t, 0x21f0aaad);
      t ^= t >>> 15;
      t = Math.imul(t, 0x735a2d97);
      return (t ^ (t >>> 15)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    // All-zero state is the one fixed point of xoshiro; splitmix32 cannot produce four zeros in a row, but be safe.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  nextUint32(): number {
    const s1 = this.s1;
    const r = Math.imul(s1, 5);
    const result = Math.imul((r << 7) | (r >>> 25), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = (this.s3 << 11) | (this.s3 >>> 21);
    return result;
  }

  nextFloat(): number {
    return this.nextUint32() * TWO_POW_MINUS_32;
  }
}

/**
 * Creates a xoshiro128** generator for `seed` (reduced to 32 bits, see {@link toSeed32}); `stream` (default 0)
 * selects an independent sequence for the same seed via {@link deriveSeed}.
 *
 * @example const rng = createRng(42); rng.nextFloat(); // same value on every run and platform
 */
export function createRng(seed: number, stream = 0): Rng {
  return new Xoshiro128StarStar(deriveSeed(seed, stream));
}
