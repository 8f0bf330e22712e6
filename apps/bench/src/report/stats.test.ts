import { describe, expect, it } from 'vitest';
import { nonEquivalenceP, sampleSd, studentTUpper, tostP, welchTest } from './stats.js';

// Reference values from SciPy 1.17 (scipy.stats.t.sf, ttest_ind(equal_var=False)), computed once by hand.
describe('statistics', () => {
  it('gives the Student-t tail', () => {
    expect(studentTUpper(1, 1)).toBeCloseTo(0.25, 10); // Cauchy: P(T > 1) = 1/4 exactly
    expect(studentTUpper(2.0, 3.5)).toBeCloseTo(0.06306926128795672, 8);
    expect(studentTUpper(-1.3, 7)).toBeCloseTo(0.8826160823038114, 8);
    expect(studentTUpper(0, 4)).toBeCloseTo(0.5, 12);
  });

  it("matches SciPy's Welch t-test", () => {
    const w = welchTest([0.61, 0.63, 0.6, 0.64], [0.58, 0.57, 0.6]);
    expect(w.t).toBeCloseTo(2.8887415229138904, 8);
    expect(w.df).toBeCloseTo(4.861271676300577, 8);
    expect(w.p).toBeCloseTo(0.03538693416726484, 8);
    expect(sampleSd([1, 2, 3, 4])).toBeCloseTo(Math.sqrt(5 / 3), 12);
  });

  it('handles samples without spread and refuses single values', () => {
    expect(welchTest([1, 1], [1, 1]).p).toBe(1);
    expect(welchTest([2, 2], [1, 1]).p).toBe(0);
    expect(() => welchTest([1], [1, 2])).toThrow(/at least 2 values per sample, got 1 and 2/);
  });

  it('gives the TOST p-value (the larger one-sided p)', () => {
    expect(tostP([0.99, 0.991, 0.9905], [0.9902, 0.9899, 0.9907], 0.005)).toBeCloseTo(0.00013652363299312536, 8);
    expect(tostP([0.5, 0.6], [0.1, 0.2], 0.01)).toBeGreaterThan(0.5);
  });

  it('gives the non-equivalence p-value: both tails at a true difference of ±margin', () => {
    const a = [0.61, 0.63, 0.6, 0.64];
    const b = [0.58, 0.57, 0.6];
    const w = welchTest(a, b); // difference 0.0383, se 0.01327, df 4.861
    const p = nonEquivalenceP(a, b, 0.01);
    expect(p).toBeCloseTo(studentTUpper((w.difference - 0.01) / w.se, w.df) + studentTUpper((w.difference + 0.01) / w.se, w.df), 12);
    expect(p).toBeCloseTo(0.05316, 5); // one-sided p of difference > margin is 0.0531; the far tail adds 0.00006
    expect(nonEquivalenceP(b, a, 0.01)).toBeCloseTo(p, 12); // the sign of the difference does not matter
    // A difference exactly at the margin: half the mass past it, plus the far tail.
    expect(nonEquivalenceP([1, 3], [0, 2], 1)).toBeCloseTo(0.5 + studentTUpper(2 / Math.sqrt(2), 2), 10);
    expect(nonEquivalenceP([2, 2], [1, 1], 0.5)).toBe(0);
    expect(nonEquivalenceP([2, 2], [1, 1], 1.5)).toBe(1);
  });
});
