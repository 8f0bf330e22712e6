import { describe, expect, it } from 'vitest';
import { expectedDropFraction3d, sampleDropBlockMask, sampleDropBlockMask3d } from '../index.js';
import { meanAndStandardError } from '../test-utils/stats.js';

describe('sampleDropBlockMask3d', () => {
  it('drop fraction matches expectedDropFraction3d', () => {
    const [D, H, W] = [6, 7, 8];
    const planes = 3000;
    const m = sampleDropBlockMask3d({ batch: planes, channels: 1, depth: D, height: H, width: W, keepProb: 0.85, blockSize: 3, seed: 9 });
    const size = D * H * W;
    const fr = new Float64Array(planes);
    for (let p = 0; p < planes; p++) {
      let kept = 0;
      for (let u = 0; u < size; u++) kept += m.data[p * size + u];
      fr[p] = 1 - kept / size;
    }
    const expected = expectedDropFraction3d({ keepProb: 0.85, blockSize: 3, depth: D, height: H, width: W });
    const { mean, se } = meanAndStandardError(fr);
    expect(Math.abs(mean - expected) / expected).toBeLessThan(0.15);
    expect(Math.abs(mean - expected)).toBeLessThan(4 * se);
  });

  it('drops whole kd x kh x kw boxes: a single seed gives exactly one box', () => {
    // Volume 4x4x4 with block 4: one valid seed position, the whole volume is one box.
    const m = sampleDropBlockMask3d({ batch: 200, channels: 1, depth: 4, height: 4, width: 4, keepProb: 0.5, blockSize: 4, seed: 2 });
    for (let p = 0; p < 200; p++) {
      const s = m.data.subarray(p * 64, (p + 1) * 64);
      expect(s.every((v) => v === s[0])).toBe(true);
    }
  });

  it('with depth 1 equals the 2D sampler for the same seed', () => {
    const o = { batch: 3, channels: 2, height: 9, width: 7, keepProb: 0.8, blockSize: 3, seed: 31 };
    const m3 = sampleDropBlockMask3d({ ...o, depth: 1 });
    const m2 = sampleDropBlockMask(o);
    expect(m3.shape).toEqual([3, 1, 9, 7, 2]);
    expect(m3.data).toEqual(m2.data);
  });

  it('rejects a bad depth', () => {
    expect(() =>
      sampleDropBlockMask3d({ batch: 1, channels: 1, depth: 0, height: 4, width: 4, keepProb: 0.9, blockSize: 2 }),
    ).toThrow(/depth/);
  });
});
