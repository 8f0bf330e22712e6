import { describe, expect, it } from 'vitest';
import { createRng, deriveSeed, toSeed32 } from './index.js';

describe('createRng (xoshiro128** seeded by splitmix32)', () => {
  it('is deterministic for a seed and differs across seeds and streams', () => {
    const a = createRng(42);
    const b = createRng(42);
    const seqA = Array.from({ length: 8 }, () => a.nextUint32());
    expect(Array.from({ length: 8 }, () => b.nextUint32())).toEqual(seqA);
    const c = createRng(43);
    expect(Array.from({ length: 8 }, () => c.nextUint32())).not.toEqual(seqA);
    const s1 = createRng(42, 1);
    expect(Array.from({ length: 8 }, () => s1.nextUint32())).not.toEqual(seqA);
  });

  it('produces uniform floats in [0, 1): mean, variance and decile counts within 5 standard errors', () => {
    const rng = createRng(7);
    const n = 200_000;
    const bins = new Array<number>(10).fill(0);
    let sum = 0;
    let sumSq = 0;
    let outOfRange = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.nextFloat();
      if (!(u >= 0 && u < 1)) outOfRange++;
      sum += u;
      sumSq += u * u;
      bins[Math.floor(u * 10)]++;
    }
    expect(outOfRange).toBe(0);
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n));
    expect(Math.abs(sumSq / n - sum ** 2 / n ** 2 - 1 / 12)).toBeLessThan(0.002);
    // Each bin ~ Binomial(n, 0.1): sd = sqrt(n * 0.09).
    for (const b of bins) expect(Math.abs(b - n / 10)).toBeLessThan(5 * Math.sqrt(n * 0.09));
  });

  it('has no lag-1 correlation', () => {
    const rng = createRng(123);
    const n = 100_000;
    let prev = rng.nextFloat();
    let s = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.nextFloat();
      s += (u - 0.5) * (prev - 0.5);
      prev = u;
    }
    // E = 0, sd of the mean product = (1/12) / sqrt(n).
    expect(Math.abs(s / n)).toBeLessThan(5 * (1 / 12) / Math.sqrt(n));
  });

  it('reduces seeds to 32 bits and derives distinct per-step seeds', () => {
    expect(toSeed32(2 ** 32 + 5)).toBe(5);
    expect(toSeed32(-1)).toBe(2 ** 32 - 1);
    const seeds = new Set(Array.from({ length: 1000 }, (_, t) => deriveSeed(9, t)));
    expect(seeds.size).toBe(1000);
    expect(() => createRng(Number.NaN)).toThrow(/seed/);
  });
});
