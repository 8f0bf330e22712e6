import { describe, expect, it } from 'vitest';
import { stepwiseSchedule } from './stepwise.js';

describe('stepwiseSchedule', () => {
  const s = stepwiseSchedule({ boundaries: [0.25, 0.5], values: [1, 0.95, 0.9] });

  it('is constant within segments and switches at the boundaries (boundary belongs to the new segment)', () => {
    expect(s(0)).toBe(1);
    expect(s(0.2499)).toBe(1);
    expect(s(0.25)).toBe(0.95);
    expect(s(0.4999)).toBe(0.95);
    expect(s(0.5)).toBe(0.9);
    expect(s(1)).toBe(0.9);
  });

  it('with no boundaries is a constant', () => {
    const c = stepwiseSchedule({ boundaries: [], values: [0.9] });
    expect(c(0)).toBe(0.9);
    expect(c(1)).toBe(0.9);
  });

  it('is unaffected by later changes to the arrays it was given', () => {
    const boundaries = [0.5];
    const values = [1, 0.8];
    const t = stepwiseSchedule({ boundaries, values });
    boundaries[0] = 0.9;
    values[1] = 0.5;
    expect(t(0.6)).toBe(0.8);
  });

  it('rejects bad boundaries and values, naming them', () => {
    expect(() => stepwiseSchedule({ boundaries: [0.5], values: [1] })).toThrow(/values must have one more entry/);
    expect(() => stepwiseSchedule({ boundaries: [0], values: [1, 0.9] })).toThrow(/boundaries\[0\]/);
    expect(() => stepwiseSchedule({ boundaries: [1], values: [1, 0.9] })).toThrow(/boundaries\[0\]/);
    expect(() => stepwiseSchedule({ boundaries: [0.5, 0.5], values: [1, 0.9, 0.8] })).toThrow(
      /strictly increasing.*boundaries\[1\]/,
    );
    expect(() => stepwiseSchedule({ boundaries: [0.5], values: [1, 0] })).toThrow(/values\[1\] must be a number in \(0, 1\], got 0/);
    expect(() => stepwiseSchedule({ boundaries: 0.5 as never, values: [1, 0.9] })).toThrow(/boundaries must be an array/);
  });
});
