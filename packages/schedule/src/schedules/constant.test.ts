import { describe, expect, it } from 'vitest';
import { constantSchedule } from './constant.js';

describe('constantSchedule', () => {
  it('returns the same keepProb at every progress', () => {
    const s = constantSchedule(0.85);
    for (const p of [0, 0.3, 0.5, 1]) expect(s(p)).toBe(0.85);
  });

  it('rejects a keepProb outside (0, 1] and progress outside [0, 1]', () => {
    expect(() => constantSchedule(0)).toThrow(/keepProb must be a number in \(0, 1\], got 0/);
    expect(() => constantSchedule(1.2)).toThrow(/keepProb/);
    expect(() => constantSchedule(0.9)(-1)).toThrow(/progress/);
  });
});
