import type { CocoDataset, CocoObject } from '@db/datasets';
import { describe, expect, it } from 'vitest';
import { matchableFraction } from './matchable.js';

function object(id: number, bbox: [number, number, number, number], iscrowd = false): CocoObject {
  return { id, bbox, label: 0, categoryId: 1, iscrowd, area: bbox[2] * bbox[3] };
}

// One 640 x 480 image (scale 0.2 at 128 px: 128 x 96): a large box, an 8 x 40 px sliver (1.6 x 8 px at 128 px,
// IoU under 0.02 with every anchor), a crowd box (never counted) and a box with no width (never counted).
const dataset = {
  images: [
    {
      id: 1,
      fileName: 'a.jpg',
      path: '/nonexistent/a.jpg',
      width: 640,
      height: 480,
      objects: [object(1, [0, 0, 320, 320]), object(2, [500, 100, 8, 40]), object(3, [0, 0, 600, 400], true), object(4, [10, 10, 0, 20])],
    },
  ],
} as unknown as CocoDataset;

describe('matchableFraction', () => {
  it("counts non-crowd, non-empty objects with a positive anchor: all with low-quality matches, keras-io's rule misses the sliver", () => {
    expect(matchableFraction(dataset, 128)).toEqual({ inputSize: 128, boxes: 2, matchable: 2, fraction: 1 });
    expect(matchableFraction(dataset, 128, { allowLowQualityMatches: false })).toEqual({ inputSize: 128, boxes: 2, matchable: 1, fraction: 0.5 });
  });
});
