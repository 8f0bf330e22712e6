import { describe, expect, it } from 'vitest';
import { expectedDropFraction, sampleDropBlockMask } from '../index.js';
import { meanAndStandardError, unitsNotInWholeBlock } from '../test-utils/stats.js';

/** Per-plane dropped fractions of a channelsFirst mask. */
function planeDropFractions(data: Float32Array, planeSize: number): Float64Array {
  const out = new Float64Array(data.length / planeSize);
  for (let p = 0; p < out.length; p++) {
    let kept = 0;
    for (let u = 0; u < planeSize; u++) kept += data[p * planeSize + u];
    out[p] = 1 - kept / planeSize;
  }
  return out;
}

describe('sampleDropBlockMask', () => {
  it.each([
    { size: 11, k: 3, keepProb: 0.9, planes: 4000 },
    { size: 11, k: 3, keepProb: 0.8, planes: 2000 },
    { size: 14, k: 7, keepProb: 0.9, planes: 6000 },
    { size: 7, k: 7, keepProb: 0.9, planes: 8000 },
  ])('drop fraction at $size x $size, k=$k, keepProb $keepProb matches expectedDropFraction', ({ size, k, keepProb, planes }) => {
    const m = sampleDropBlockMask({
      batch: planes / 4, channels: 4, height: size, width: size, keepProb, blockSize: k, seed: 2024, dataFormat: 'channelsFirst',
    });
    const expected = expectedDropFraction({ keepProb, blockSize: k, height: size, width: size });
    const { mean, se } = meanAndStandardError(planeDropFractions(m.data, size * size));
    // Within 15% relative (the bar), and within 4 standard errors of the trial mean.
    expect(Math.abs(mean - expected) / expected).toBeLessThan(0.15);
    expect(Math.abs(mean - expected)).toBeLessThan(4 * se);
  });

  it('drops only whole kh x kw blocks inside the map (odd, even and clipped blocks)', () => {
    for (const [h, w, k] of [
      [11, 11, 3],
      [10, 13, 4],
      [6, 9, 7],
    ]) {
      const m = sampleDropBlockMask({ batch: 20, channels: 3, height: h, width: w, keepProb: 0.7, blockSize: k, seed: 3, dataFormat: 'channelsFirst' });
      const dropped = m.data.reduce((a, v) => a + (v === 0 ? 1 : 0), 0);
      expect(dropped).toBeGreaterThan(0);
      expect(unitsNotInWholeBlock(m.data, 60, h, w, Math.min(k, h), Math.min(k, w))).toBe(0);
    }
  });

  it('block >= map drops whole maps with probability 1 - keepProb', () => {
    const planes = 4000;
    const m = sampleDropBlockMask({ batch: planes, channels: 1, height: 5, width: 4, keepProb: 0.75, blockSize: 9, seed: 8, dataFormat: 'channelsFirst' });
    const fr = planeDropFractions(m.data, 20);
    expect(fr.every((f) => f === 0 || f === 1)).toBe(true);
    const mean = fr.reduce((a, b) => a + b, 0) / planes;
    expect(Math.abs(mean - 0.25)).toBeLessThan(4 * Math.sqrt((0.25 * 0.75) / planes));
  });

  it('is reproducible for a seed, and different seeds differ', () => {
    const o = { batch: 4, channels: 2, height: 9, width: 9, keepProb: 0.8, blockSize: 3 };
    expect(sampleDropBlockMask({ ...o, seed: 1 }).data).toEqual(sampleDropBlockMask({ ...o, seed: 1 }).data);
    expect(sampleDropBlockMask({ ...o, seed: 1 }).data).not.toEqual(sampleDropBlockMask({ ...o, seed: 2 }).data);
  });

  it('lays out channelsLast as the transpose of channelsFirst for the same seed', () => {
    const o = { batch: 3, channels: 4, height: 6, width: 5, keepProb: 0.7, blockSize: 2, seed: 77 };
    const cl = sampleDropBlockMask({ ...o, dataFormat: 'channelsLast' });
    const cf = sampleDropBlockMask({ ...o, dataFormat: 'channelsFirst' });
    expect(cl.shape).toEqual([3, 6, 5, 4]);
    expect(cf.shape).toEqual([3, 4, 6, 5]);
    let mismatches = 0;
    for (let n = 0; n < 3; n++)
      for (let c = 0; c < 4; c++)
        for (let s = 0; s < 30; s++) if (cl.data[(n * 30 + s) * 4 + c] !== cf.data[(n * 4 + c) * 30 + s]) mismatches++;
    expect(mismatches).toBe(0);
    expect(cl.data.some((v) => v === 0)).toBe(true);
  });

  it('sharedChannels shares a mask across channels; batchwise across the batch', () => {
    const o = { batch: 6, channels: 5, height: 8, width: 8, keepProb: 0.6, blockSize: 3, seed: 4, dataFormat: 'channelsFirst' as const };
    const plane = 64;
    const shared = sampleDropBlockMask({ ...o, sharedChannels: true }).data;
    const batchwise = sampleDropBlockMask({ ...o, batchwise: true }).data;
    const per = sampleDropBlockMask(o).data;
    let sharedDiff = 0;
    let batchDiff = 0;
    let perDiff = 0;
    for (let n = 0; n < 6; n++)
      for (let c = 0; c < 5; c++)
        for (let u = 0; u < plane; u++) {
          sharedDiff += Math.abs(shared[(n * 5 + c) * plane + u] - shared[n * 5 * plane + u]);
          batchDiff += Math.abs(batchwise[(n * 5 + c) * plane + u] - batchwise[c * plane + u]);
          perDiff += Math.abs(per[(n * 5 + c) * plane + u] - per[n * 5 * plane + u]);
        }
    expect(sharedDiff).toBe(0);
    expect(batchDiff).toBe(0);
    expect(perDiff).toBeGreaterThan(0);
  });

  it('keepProb 1 keeps everything', () => {
    const m = sampleDropBlockMask({ batch: 2, channels: 2, height: 5, width: 5, keepProb: 1, blockSize: 3, seed: 1 });
    expect(m.data.every((v) => v === 1)).toBe(true);
  });

  it('rejects bad arguments with errors naming them', () => {
    const o = { batch: 2, channels: 2, height: 5, width: 5, keepProb: 0.9, blockSize: 3 };
    expect(() => sampleDropBlockMask({ ...o, batch: 0 })).toThrow(/batch/);
    expect(() => sampleDropBlockMask({ ...o, channels: 1.5 })).toThrow(/channels/);
    expect(() => sampleDropBlockMask({ ...o, keepProb: 0 })).toThrow(/keepProb/);
    expect(() => sampleDropBlockMask({ ...o, blockSize: 0 })).toThrow(/blockSize/);
    expect(() => sampleDropBlockMask({ ...o, dataFormat: 'NCHW' as never })).toThrow(/dataFormat/);
    expect(() => sampleDropBlockMask({ ...o, seed: Number.POSITIVE_INFINITY })).toThrow(/seed/);
  });
});
