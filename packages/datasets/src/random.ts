import { numberArgumentError } from './errors.js';

/**
 * A seeded pseudo-random generator returning floats in [0, 1): mulberry32 (Tommy Ettinger's 32-bit mixer).
 * Small, fast and reproducible across platforms, which is all shuffling and augmentation need; not for
 * cryptography.
 */
export type Random = () => number;

/** Creates a seeded generator; equal seeds give equal sequences. */
export function createRandom(seed: number): Random {
  if (!Number.isFinite(seed)) throw numberArgumentError('seed', 'a finite number', seed);
  let state = Math.floor(seed) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Derives an independent stream seed from a base seed and a counter (e.g. the epoch). */
export function mixSeed(seed: number, counter: number): number {
  let h = (Math.floor(seed) ^ Math.imul(counter + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** Integer in [0, n). */
export function randomInt(random: Random, n: number): number {
  return Math.min(n - 1, Math.floor(random() * n));
}

/** An in-place Fisher-Yates shuffle of `0..n-1` (Knuth, TAOCP vol. 2, Algorithm P). */
export function shuffledIndices(n: number, random: Random): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = randomInt(random, i + 1);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}
