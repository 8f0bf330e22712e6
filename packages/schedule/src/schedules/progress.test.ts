import { describe, expect, it } from 'vitest';
import { trainingProgress } from './progress.js';

describe('trainingProgress', () => {
  it('is 0 on the first step and 1 on the last', () => {
    expect(trainingProgress(0, 10)).toBe(0);
    expect(trainingProgress(9, 10)).toBe(1);
  });

  it('is index / (total - 1) in between', () => {
    expect(trainingProgress(3, 7)).toBeCloseTo(0.5, 15);
    expect(trainingProgress(1, 5)).toBeCloseTo(0.25, 15);
  });

  it('holds 1 past the planned end, and gives 1 for a one-step run', () => {
    expect(trainingProgress(12, 10)).toBe(1);
    expect(trainingProgress(0, 1)).toBe(1);
  });

  it('rejects bad arguments, naming them', () => {
    expect(() => trainingProgress(-1, 10)).toThrow(/index must be a non-negative integer/);
    expect(() => trainingProgress(1.5, 10)).toThrow(/index/);
    expect(() => trainingProgress(0, 0)).toThrow(/total must be a positive integer/);
    expect(() => trainingProgress(0, Number.NaN)).toThrow(/total/);
  });
});
