import { describe, expect, it } from 'vitest';
import { computeGamma, computeGamma3d } from './index.js';

describe('computeGamma', () => {
  it('implements gamma = (1 - keepProb) * H * W / (kh * kw * (H - kh + 1) * (W - kw + 1))', () => {
    expect(computeGamma({ keepProb: 0.9, blockSize: 3, height: 11, width: 11 })).toBeCloseTo((0.1 * 121) / (9 * 81), 15);
    expect(computeGamma({ keepProb: 0.9, blockSize: 7, height: 14, width: 14 })).toBeCloseTo((0.1 * 196) / (49 * 64), 15);
    // Rectangular map: each axis uses its own clipped block.
    expect(computeGamma({ keepProb: 0.8, blockSize: 5, height: 8, width: 20 })).toBeCloseTo((0.2 * 160) / (25 * 4 * 16), 15);
  });

  it('clips the block to the map, so block >= map gives gamma = 1 - keepProb (one seed position)', () => {
    expect(computeGamma({ keepProb: 0.9, blockSize: 7, height: 7, width: 7 })).toBeCloseTo(0.1, 15);
    expect(computeGamma({ keepProb: 0.7, blockSize: 9, height: 4, width: 6 })).toBeCloseTo(0.3, 15);
    // Clipped on one axis only: kh = 3, kw = 5.
    expect(computeGamma({ keepProb: 0.9, blockSize: 5, height: 3, width: 10 })).toBeCloseTo((0.1 * 30) / (15 * 1 * 6), 15);
  });

  it('is 0 at keepProb 1 and never exceeds 1 - keepProb', () => {
    expect(computeGamma({ keepProb: 1, blockSize: 3, height: 5, width: 5 })).toBe(0);
    for (let h = 1; h <= 12; h++) {
      for (let k = 1; k <= 8; k++) {
        const g = computeGamma({ keepProb: 0.05, blockSize: k, height: h, width: h + 3 });
        expect(g).toBeLessThanOrEqual(0.95 + 1e-12);
      }
    }
  });

  it('blockSize 1 is dropout: gamma = 1 - keepProb', () => {
    expect(computeGamma({ keepProb: 0.75, blockSize: 1, height: 9, width: 4 })).toBeCloseTo(0.25, 15);
  });

  it('rejects bad arguments with errors naming them', () => {
    const ok = { keepProb: 0.9, blockSize: 3, height: 8, width: 8 };
    expect(() => computeGamma({ ...ok, keepProb: 0 })).toThrow(/keepProb/);
    expect(() => computeGamma({ ...ok, keepProb: 1.5 })).toThrow(/keepProb/);
    expect(() => computeGamma({ ...ok, keepProb: Number.NaN })).toThrow(/keepProb/);
    expect(() => computeGamma({ ...ok, blockSize: 0 })).toThrow(/blockSize/);
    expect(() => computeGamma({ ...ok, blockSize: 2.5 })).toThrow(/blockSize/);
    expect(() => computeGamma({ ...ok, height: 0 })).toThrow(/height/);
    expect(() => computeGamma({ ...ok, width: -3 })).toThrow(/width/);
  });
});

describe('computeGamma3d', () => {
  it('extends the formula to depth', () => {
    const g = computeGamma3d({ keepProb: 0.9, blockSize: 3, depth: 6, height: 8, width: 10 });
    expect(g).toBeCloseTo((0.1 * 480) / (27 * 4 * 6 * 8), 15);
    expect(computeGamma3d({ keepProb: 0.8, blockSize: 4, depth: 4, height: 4, width: 4 })).toBeCloseTo(0.2, 15);
    expect(() => computeGamma3d({ keepProb: 0.9, blockSize: 3, depth: 0, height: 8, width: 8 })).toThrow(/depth/);
  });
});
