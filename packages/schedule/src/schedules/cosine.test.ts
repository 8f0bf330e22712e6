import { describe, expect, it } from 'vitest';
import { cosineSchedule } from './cosine.js';
import { linearSchedule } from './linear.js';

describe('cosineSchedule', () => {
  const target = 0.8;
  const s = cosineSchedule({ target });

  it('starts at 1.0, ends at the target, and crosses the midpoint half-way', () => {
    expect(s(0)).toBe(1);
    expect(s(1)).toBe(target);
    expect(s(0.5)).toBeCloseTo((1 + target) / 2, 12);
  });

  it('follows target + (1 - target)(1 + cos(pi p)) / 2', () => {
    for (const p of [0.1, 0.3, 0.7, 0.9]) {
      expect(s(p)).toBeCloseTo(target + ((1 - target) * (1 + Math.cos(Math.PI * p))) / 2, 12);
    }
  });

  it('is point-symmetric about the midpoint: s(p) + s(1 - p) = start + target', () => {
    for (const p of [0.05, 0.2, 0.35, 0.45]) expect(s(p) + s(1 - p)).toBeCloseTo(1 + target, 12);
  });

  it('is decreasing, flat at both ends, and above the linear ramp in the first half', () => {
    const lin = linearSchedule({ target });
    const n = 101;
    const values = Array.from({ length: n }, (_, i) => s(i / (n - 1)));
    for (let i = 1; i < n; i++) expect(values[i]).toBeLessThan(values[i - 1]);
    // Near the ends the slope vanishes: the first and last steps are much smaller than the middle one.
    const first = values[0] - values[1];
    const middle = values[50] - values[51];
    const last = values[n - 2] - values[n - 1];
    expect(first).toBeLessThan(middle / 20);
    expect(last).toBeLessThan(middle / 20);
    // Quadratic start: 1 - s(p) ~ (1 - target) * (pi p)^2 / 4.
    expect(1 - s(0.01)).toBeCloseTo((0.2 * (Math.PI * 0.01) ** 2) / 4, 8);
    for (const p of [0.1, 0.25, 0.4]) expect(s(p)).toBeGreaterThan(lin(p));
    for (const p of [0.6, 0.75, 0.9]) expect(s(p)).toBeLessThan(lin(p));
  });

  it('holds the target after rampFraction', () => {
    const r = cosineSchedule({ target: 0.9, rampFraction: 0.4 });
    expect(r(0.2)).toBeCloseTo(0.95, 12);
    expect(r(0.4)).toBe(0.9);
    expect(r(0.9)).toBe(0.9);
  });

  it('rejects bad options, naming the argument', () => {
    expect(() => cosineSchedule({ target: -0.5 })).toThrow(/target/);
    expect(() => cosineSchedule({ target: 0.9, start: 2 })).toThrow(/start/);
    expect(() => cosineSchedule({ target: 0.9, rampFraction: -1 })).toThrow(/rampFraction/);
    expect(() => s(2)).toThrow(/progress/);
  });
});
