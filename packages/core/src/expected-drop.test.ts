import { describe, expect, it } from 'vitest';
import { computeGamma, computeGamma3d, expectedDropFraction, expectedDropFraction3d } from './index.js';

/** Brute force: enumerate every unit and count the valid seeds whose block covers it. */
function bruteForce(keepProb: number, blockSize: number, sizes: number[]): number {
  const k = sizes.map((l) => Math.min(blockSize, l));
  const gamma =
    sizes.length === 2
      ? computeGamma({ keepProb, blockSize, height: sizes[0], width: sizes[1] })
      : computeGamma3d({ keepProb, blockSize, depth: sizes[0], height: sizes[1], width: sizes[2] });
  const [D, H, W] = sizes.length === 2 ? [1, ...sizes] : sizes;
  const [kd, kh, kw] = sizes.length === 2 ? [1, ...k] : k;
  let sum = 0;
  for (let d = 0; d < D; d++)
    for (let h = 0; h < H; h++)
      for (let w = 0; w < W; w++) {
        let n = 0;
        for (let sd = 0; sd <= D - kd; sd++)
          for (let sh = 0; sh <= H - kh; sh++)
            for (let sw = 0; sw <= W - kw; sw++)
              if (sd <= d && d < sd + kd && sh <= h && h < sh + kh && sw <= w && w < sw + kw) n++;
        sum += 1 - (1 - gamma) ** n;
      }
  return sum / (D * H * W);
}

describe('expectedDropFraction', () => {
  it('gives the issue values: blocks overlap, so the fraction is below 1 - keepProb', () => {
    expect(expectedDropFraction({ keepProb: 0.9, blockSize: 3, height: 11, width: 11 })).toBeCloseTo(0.0949, 4);
    expect(expectedDropFraction({ keepProb: 0.8, blockSize: 3, height: 11, width: 11 })).toBeCloseTo(0.1804, 4);
    expect(expectedDropFraction({ keepProb: 0.9, blockSize: 7, height: 14, width: 14 })).toBeCloseTo(0.093, 3);
    expect(expectedDropFraction({ keepProb: 0.9, blockSize: 7, height: 7, width: 7 })).toBeCloseTo(0.1, 12);
  });

  it('matches a brute-force enumeration on rectangular maps and clipped blocks', () => {
    for (const [kp, k, h, w] of [
      [0.9, 3, 11, 11],
      [0.7, 2, 5, 9],
      [0.85, 4, 6, 3],
      [0.5, 5, 5, 12],
    ]) {
      expect(expectedDropFraction({ keepProb: kp, blockSize: k, height: h, width: w })).toBeCloseTo(bruteForce(kp, k, [h, w]), 12);
    }
  });

  it('is exactly 1 - keepProb for blockSize 1 (dropout) and 0 at keepProb 1', () => {
    expect(expectedDropFraction({ keepProb: 0.6, blockSize: 1, height: 7, width: 5 })).toBeCloseTo(0.4, 12);
    expect(expectedDropFraction({ keepProb: 1, blockSize: 3, height: 7, width: 5 })).toBe(0);
  });

  it('validates its arguments', () => {
    expect(() => expectedDropFraction({ keepProb: 0.9, blockSize: -1, height: 7, width: 7 })).toThrow(/blockSize/);
  });
});

describe('expectedDropFraction3d', () => {
  it('matches brute force in 3D and reduces to 1 - keepProb when the block covers the volume', () => {
    const p = { keepProb: 0.9, blockSize: 3, depth: 5, height: 6, width: 7 };
    expect(expectedDropFraction3d(p)).toBeCloseTo(bruteForce(0.9, 3, [5, 6, 7]), 12);
    expect(expectedDropFraction3d(p)).toBeLessThan(0.1);
    expect(expectedDropFraction3d({ keepProb: 0.8, blockSize: 9, depth: 3, height: 4, width: 5 })).toBeCloseTo(0.2, 12);
  });
});
