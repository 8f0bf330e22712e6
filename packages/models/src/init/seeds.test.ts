import { describe, expect, it } from 'vitest';
import { MASK_STREAM, SeedSequence, WEIGHT_STREAM } from './seeds.js';

const take = (s: SeedSequence, n: number) => Array.from({ length: n }, () => s.next());

describe('SeedSequence', () => {
  it('is deterministic and yields distinct non-negative 31-bit integers', () => {
    const a = take(new SeedSequence(42), 1000);
    expect(take(new SeedSequence(42), 1000)).toEqual(a);
    expect(new Set(a).size).toBe(1000);
    for (const v of a) {
      expect(Number.isInteger(v)).toBe(true);
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(2 ** 31);
    }
  });

  it('differs between seeds and between streams of one seed', () => {
    const base = take(new SeedSequence(1), 50);
    for (const other of [take(new SeedSequence(2), 50), take(new SeedSequence(-1), 50), take(new SeedSequence(2 ** 32 + 1), 50)]) {
      expect(other.filter((v, i) => v === base[i])).toHaveLength(0);
    }
    const weights = take(new SeedSequence(1, WEIGHT_STREAM), 50);
    const masks = take(new SeedSequence(1, MASK_STREAM), 50);
    expect(weights).toEqual(base);
    expect(masks.filter((v) => weights.includes(v))).toHaveLength(0);
  });

  it('rejects non-integer seeds and streams', () => {
    expect(() => new SeedSequence(1.5)).toThrow(/seed/);
    expect(() => new SeedSequence(Number.NaN)).toThrow(/seed/);
    expect(() => new SeedSequence(1, -1)).toThrow(/stream/);
  });
});
