import { describe, expect, it } from 'vitest';
import { worstGradientError } from './gradient-parity.js';

describe('worstGradientError', () => {
  it('is relative to each gradient own largest value', () => {
    const ref = [Float32Array.from([10, -20]), Float32Array.from([1, 2])];
    const got = [Float32Array.from([10, -19]), Float32Array.from([1, 2.1])];
    // 1 of 20 in the first, 0.1 of 2 (above the 1% floor, 0.2) in the second.
    expect(worstGradientError(ref, got)).toBeCloseTo(0.05, 6);
  });

  it('floors tiny gradients at a share of the net largest (rounding on exact-zero gradients)', () => {
    const ref = [Float32Array.from([100]), Float32Array.from([0, 0])];
    const got = [Float32Array.from([100]), Float32Array.from([0.5, -0.5])];
    expect(worstGradientError(ref, got)).toBeCloseTo(0.5, 6); // 0.5 / (0.01 * 100)
    expect(worstGradientError(ref, got, 0.1)).toBeCloseTo(0.05, 6);
  });

  it('rejects mismatched lists', () => {
    expect(() => worstGradientError([new Float32Array(2)], [])).toThrow(RangeError);
    expect(() => worstGradientError([new Float32Array(2)], [new Float32Array(3)])).toThrow(/gradient 0 has 3 values/);
  });
});
