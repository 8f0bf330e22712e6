import { describe, expect, it } from 'vitest';
import { linearSchedule } from './linear.js';

describe('linearSchedule', () => {
  it('starts at 1.0 and ends exactly at the target (paper §3)', () => {
    const s = linearSchedule({ target: 0.9 });
    expect(s(0)).toBe(1);
    expect(s(1)).toBe(0.9);
  });

  it('is linear in between: 1 - p * (1 - target)', () => {
    const s = linearSchedule({ target: 0.8 });
    for (const p of [0.1, 0.25, 0.5, 0.75, 0.9]) expect(s(p)).toBeCloseTo(1 - p * 0.2, 12);
    expect(s(0.5)).toBeCloseTo(0.9, 12);
  });

  it('is non-increasing over a fine grid, with equal steps', () => {
    const s = linearSchedule({ target: 0.7 });
    const n = 101;
    const values = Array.from({ length: n }, (_, i) => s(i / (n - 1)));
    for (let i = 1; i < n; i++) {
      expect(values[i]).toBeLessThan(values[i - 1]);
      expect(values[i - 1] - values[i]).toBeCloseTo(0.3 / (n - 1), 12);
    }
  });

  it('reaches the target at rampFraction and holds it', () => {
    const s = linearSchedule({ target: 0.9, rampFraction: 0.5 });
    expect(s(0)).toBe(1);
    expect(s(0.25)).toBeCloseTo(0.95, 12);
    expect(s(0.5)).toBe(0.9);
    expect(s(0.75)).toBe(0.9);
    expect(s(1)).toBe(0.9);
  });

  it('honours a start other than 1', () => {
    const s = linearSchedule({ target: 0.9, start: 0.95 });
    expect(s(0)).toBe(0.95);
    expect(s(0.5)).toBeCloseTo(0.925, 12);
    expect(s(1)).toBe(0.9);
  });

  it('rejects bad options and progress, naming the argument', () => {
    // The shared @db style: a RangeError for a number out of range, a TypeError naming the type of a wrong one.
    expect(() => linearSchedule({ target: 0 })).toThrow(new RangeError('target must be a number in (0, 1], got 0'));
    expect(() => linearSchedule({ target: '0.9' as never })).toThrow(new TypeError("target must be a number in (0, 1], got the string '0.9'"));
    expect(() => linearSchedule({ target: 0 })).toThrow(RangeError);
    expect(() => linearSchedule({ target: '0.9' as never })).toThrow(TypeError);
    expect(() => linearSchedule({ target: 1.1 })).toThrow(/target/);
    expect(() => linearSchedule({ target: Number.NaN })).toThrow(/target must be a number in \(0, 1\], got NaN/);
    expect(() => linearSchedule({ target: 0.9, start: 0 })).toThrow(/start/);
    expect(() => linearSchedule({ target: 0.9, rampFraction: 0 })).toThrow(/rampFraction/);
    expect(() => linearSchedule({ target: 0.9, rampFraction: 1.5 })).toThrow(/rampFraction/);
    expect(() => linearSchedule(undefined as never)).toThrow(/linearSchedule options must be an options object/);
    const s = linearSchedule({ target: 0.9 });
    expect(() => s(-0.1)).toThrow(/progress must be a number in \[0, 1\]/);
    expect(() => s(1.01)).toThrow(/progress/);
    expect(() => s(Number.NaN)).toThrow(/progress must be a number in \[0, 1\] \(the fraction of training done\), got NaN/);
  });
});
