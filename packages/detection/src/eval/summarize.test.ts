import { describe, expect, it } from 'vitest';
import { formatFixed } from './summarize.js';
import { boxIou } from './iou.js';
import { linspace } from './validate.js';

describe('formatFixed (Python format(x, ".3f"))', () => {
  it('rounds exact halves to even, as Python does, where toFixed rounds up', () => {
    // x/16 values are the only doubles in [0, 1] exactly halfway at 3 decimals.
    expect(formatFixed(0.0625, 3)).toBe('0.062');
    expect(formatFixed(0.1875, 3)).toBe('0.188');
    expect(formatFixed(0.3125, 3)).toBe('0.312');
    expect(formatFixed(0.9375, 3)).toBe('0.938');
    expect((0.0625).toFixed(3)).toBe('0.063');
  });
  it('rounds everything else to nearest by the exact binary value', () => {
    expect(formatFixed(0.5375, 3)).toBe('0.537'); // 0.53749999999999997...
    expect(formatFixed(0.5375000000000001, 3)).toBe('0.538');
    expect(formatFixed(-1, 3)).toBe('-1.000');
    expect(formatFixed(0.9999999999999998, 3)).toBe('1.000');
    expect(formatFixed(0.8999999999999999, 2)).toBe('0.90');
  });
});

describe('linspace (numpy)', () => {
  it("gives pycocotools' IoU thresholds as numpy prints them", () => {
    // repr(np.linspace(.5, .95, 10)) under numpy 1.24: note 0.8999999999999999.
    expect(linspace(0.5, 0.95, 10)).toEqual([0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.8999999999999999, 0.95]);
    const rec = linspace(0, 1, 101);
    expect([rec[25], rec[29], rec[57], rec[100]]).toEqual([0.25, 0.29, 0.5700000000000001, 1]);
  });
});

describe('boxIou (pycocotools bbIou)', () => {
  it('is intersection over union for ordinary boxes, 0 for boxes that only touch', () => {
    expect(boxIou([0, 0, 10, 10], [5, 0, 10, 10])).toBeCloseTo(50 / 150, 15);
    expect(boxIou([0, 0, 10, 10], [10, 0, 10, 10])).toBe(0);
    expect(boxIou([0, 0, 8, 8], [0, 0, 10, 10])).toBe(0.64);
  });
  it("uses the detection's area as the union for a crowd region", () => {
    expect(boxIou([60, 10, 20, 20], [50, 0, 100, 100], true)).toBe(1);
    expect(boxIou([60, 10, 20, 20], [50, 0, 100, 100], false)).toBe(0.04);
    expect(boxIou([40, 0, 20, 20], [50, 0, 100, 100], true)).toBe(0.5);
  });
});
