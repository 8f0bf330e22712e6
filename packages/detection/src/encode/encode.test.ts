import { describe, expect, it } from 'vitest';
import { generateAnchors } from '../anchors/anchors.js';
import { BOX_VARIANCE, decodeBoxes } from './box-coder.js';
import { BACKGROUND, encodeLabels, IGNORED } from './encode.js';
import { iouMatrix } from './iou.js';

describe('iouMatrix', () => {
  it('computes hand values', () => {
    const a = new Float32Array([0, 0, 10, 10, 0, 0, 2, 2]);
    const b = new Float32Array([5, 0, 15, 10, 20, 20, 30, 30, 0, 0, 10, 10]);
    // [0,0,10,10] vs [5,0,15,10]: inter 50, union 150.
    expect(Array.from(iouMatrix(a, b))).toEqual([expect.closeTo(1 / 3, 6), 0, 1, 0, 0, expect.closeTo(0.04, 6)]);
  });
});

describe('encodeLabels', () => {
  // Three anchors of 10x10 at x = 5, 10, 20 (centre form); one object [0, 0, 10, 10].
  const anchors = new Float32Array([5, 5, 10, 10, 7, 5, 10, 10, 11, 5, 10, 10]);
  it('labels positive (IoU >= 0.5), ignored (0.4..0.5) and background (< 0.4) anchors', () => {
    // IoU: 1; [2,0,12,10] -> 80 / 120 = 0.667; [6,0,16,10] -> 40 / 160 = 0.25.
    const enc = encodeLabels(anchors, new Float32Array([0, 0, 10, 10]), [7]);
    expect(Array.from(enc.classTargets)).toEqual([7, 7, BACKGROUND]);
    expect(enc.positives).toBe(2);
    // Anchor 1 is 2 px right of the object: dx = (5 - 7) / 10 / 0.1 = -2, sizes equal -> 0.
    expect(Array.from(enc.boxTargets.subarray(4, 8))).toEqual([expect.closeTo(-2, 5), 0, 0, 0]);
    expect(Array.from(enc.boxTargets.subarray(8))).toEqual([0, 0, 0, 0]);
  });

  it('ignores anchors between the thresholds and near crowd boxes', () => {
    const one = encodeLabels(anchors, new Float32Array([4.2, 0, 14.2, 10]), [1]);
    // IoU with [0,0,10,10]: 58 / 142 = 0.408 -> ignored; [2,0,12,10]: 78 / 122 = 0.64; [6,0,16,10]: 82 / 118 = 0.69.
    expect(Array.from(one.classTargets)).toEqual([IGNORED, 1, 1]);
    const crowd = encodeLabels(anchors, new Float32Array([0, 0, 10, 10]), [3], new Uint8Array([1]));
    expect(Array.from(crowd.classTargets)).toEqual([IGNORED, IGNORED, BACKGROUND]);
    expect(crowd.positives).toBe(0);
  });

  it('allowLowQualityMatches: an object below 0.5 everywhere gets its best anchors (ties included); false is keras-io', () => {
    // Object [6, 0, 14, 4]: IoU with [0,0,10,10] 16/116; [2,0,12,10] 24/116 = 0.207; [6,0,16,10] 32/100 = 0.32.
    const small = new Float32Array([6, 0, 14, 4]);
    const on = encodeLabels(anchors, small, [4]);
    expect(Array.from(on.classTargets)).toEqual([BACKGROUND, BACKGROUND, 4]);
    expect(on.positives).toBe(1);
    expect(Array.from(on.objectPositives)).toEqual([1]);
    // Its box target still encodes the object: centre (10, 2) vs anchor (11, 5), size 8x4 vs 10x10.
    expect(Array.from(on.boxTargets.subarray(8))).toEqual([
      expect.closeTo(-1, 5),
      expect.closeTo(-3, 5),
      expect.closeTo(Math.log(0.8) / 0.2, 5),
      expect.closeTo(Math.log(0.4) / 0.2, 5),
    ]);
    const off = encodeLabels(anchors, small, [4], undefined, { allowLowQualityMatches: false });
    expect(Array.from(off.classTargets)).toEqual([BACKGROUND, BACKGROUND, BACKGROUND]);
    expect(Array.from(off.objectPositives)).toEqual([0]);
    // Ties: two anchors equally far on either side of a centred object are both positive.
    const twin = new Float32Array([3, 5, 10, 10, 13, 5, 10, 10]);
    const tied = encodeLabels(twin, new Float32Array([6, 2, 10, 8]), [0]);
    expect(Array.from(tied.classTargets)).toEqual([0, 0]);
    // Crowd and empty objects get none. An object whose best anchor is a high-quality (>= 0.5) match of another
    // object leaves it there and takes its best free anchor instead.
    const crowd = encodeLabels(anchors, small, [4], new Uint8Array([1]));
    expect(crowd.positives).toBe(0);
    const empty = encodeLabels(anchors, new Float32Array([5, 5, 5, 9]), [0]);
    expect(empty.positives).toBe(0);
    const pair = encodeLabels(anchors, new Float32Array([0, 0, 10, 10, 0, 0, 6, 6]), [1, 2]);
    // Object 1 [0,0,6,6]: IoU 0.36 with anchor 0 (taken by object 0 at IoU 1), 24/112 with anchor 1 (positive for
    // object 0 at 0.667, so taken too), 0 with anchor 2: no free anchor overlaps it, so it stays unmatched.
    expect(Array.from(pair.classTargets)).toEqual([1, 1, BACKGROUND]);
    expect(Array.from(pair.objectPositives)).toEqual([2, 0]);
    // With a free anchor that overlaps it, it takes that one: object [0, 0, 6, 6] plus an anchor at (3, 3).
    const fourth = new Float32Array([...anchors, 3, 3, 10, 10]);
    const freed = encodeLabels(fourth, new Float32Array([0, 0, 10, 10, 0, 0, 6, 6]), [1, 2]);
    // Anchor 3 ([-2,-2,8,8]): IoU 64/136 = 0.47 with object 0 (ignored by keras-io's rule), 36/100 with object 1.
    expect(Array.from(freed.classTargets)).toEqual([1, 1, BACKGROUND, 2]);
    expect(Array.from(freed.objectPositives)).toEqual([2, 1]);
  });

  it('drops empty boxes and checks its arguments', () => {
    expect(Array.from(encodeLabels(anchors, new Float32Array([5, 5, 5, 9]), [0]).classTargets)).toEqual([-1, -1, -1]);
    expect(() => encodeLabels(anchors, new Float32Array([0, 0, 1, 1]), [0, 1])).toThrow(/labels has 2 entries but boxes has 1/);
    expect(() => encodeLabels(anchors, new Float32Array([0, 0, 1, 1]), [-1])).toThrow(/labels\[0\]/);
  });

  it('encode then decode returns the objects at every positive anchor (128 x 128 anchors)', () => {
    const grid = generateAnchors(128, 128);
    const boxes = new Float32Array([10, 12, 50, 70, 60, 20, 124, 60, 0, 64, 128, 128]);
    const enc = encodeLabels(grid, boxes, [0, 1, 2]);
    expect(enc.positives).toBeGreaterThan(3);
    const decoded = decodeBoxes(enc.boxTargets, grid);
    const seen = new Set<number>();
    for (let i = 0; i < grid.length / 4; i++) {
      const label = enc.classTargets[i];
      if (label < 0) continue;
      seen.add(label);
      for (let k = 0; k < 4; k++) expect(decoded[4 * i + k]).toBeCloseTo(boxes[4 * label + k], 3);
    }
    expect([...seen].sort()).toEqual([0, 1, 2]);
    expect(BOX_VARIANCE).toEqual([0.1, 0.1, 0.2, 0.2]);
  });
});
