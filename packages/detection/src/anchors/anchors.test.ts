import { describe, expect, it } from 'vitest';
import { anchorCount, featureMapSizes, generateAnchors } from './anchors.js';

describe('generateAnchors', () => {
  it('gives 76,725 anchors at 640x640: 9 x (80^2 + 40^2 + 20^2 + 10^2 + 5^2)', () => {
    expect(featureMapSizes(640, 640)).toEqual([[80, 80], [40, 40], [20, 20], [10, 10], [5, 5]]);
    expect(anchorCount(640, 640)).toBe(76_725);
    expect(generateAnchors(640, 640).length).toBe(76_725 * 4);
  });

  it('starts with P3 cell (0, 0), ratio 0.5, scale 1: centre (4, 4), w = sqrt(1024 * 0.5), h = sqrt(1024 / 0.5)', () => {
    const a = generateAnchors(640, 640);
    // 32^2 = 1024; h = sqrt(2048) = 45.2548..., w = 1024 / h = 22.6274...
    expect(a[0]).toBe(4);
    expect(a[1]).toBe(4);
    expect(a[2]).toBeCloseTo(22.627417, 4);
    expect(a[3]).toBeCloseTo(45.254834, 4);
    // The next anchor is the same ratio at scale 2^(1/3).
    expect(a[6]).toBeCloseTo(22.627417 * 2 ** (1 / 3), 4);
  });

  it('ends with P7 cell (4, 4), ratio 2, scale 2^(2/3): centre 4.5 * 128 = 576', () => {
    const a = generateAnchors(640, 640);
    const last = Array.from(a.subarray(a.length - 4));
    // 512^2 = 262144; h = sqrt(131072) = 362.0387, w = 724.0773; times 2^(2/3) = 1.5874.
    expect(last[0]).toBe(576);
    expect(last[1]).toBe(576);
    expect(last[2]).toBeCloseTo(1149.40114, 2);
    expect(last[3]).toBeCloseTo(574.70057, 2);
  });

  it('lays cells out row-major per level: the second cell of P3 is x + 1', () => {
    const a = generateAnchors(640, 640);
    expect([a[9 * 4], a[9 * 4 + 1]]).toEqual([12, 4]);
    // First anchor of P4 follows the 57,600 of P3, centred at (8, 8).
    expect([a[57_600 * 4], a[57_600 * 4 + 1]]).toEqual([8, 8]);
  });

  it('rounds partial cells up (ceil) and rejects bad sizes', () => {
    expect(anchorCount(100, 130)).toBe(9 * (13 * 17 + 7 * 9 + 4 * 5 + 2 * 3 + 1 * 2));
    expect(() => generateAnchors(0, 640)).toThrow(/height must be a positive integer, got 0/);
    expect(() => generateAnchors(640, 1.5)).toThrow(/width/);
  });
});
