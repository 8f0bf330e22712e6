import { describe, expect, it } from 'vitest';
import { BOX_VARIANCE } from '../encode/box-coder.js';
import { decodeDetections, toCocoDetections } from './decode.js';
import { nonMaxSuppression } from './nms.js';

const logit = (p: number) => Math.log(p / (1 - p));

describe('nonMaxSuppression', () => {
  it('keeps by descending score and drops boxes overlapping a kept one by IoU > threshold', () => {
    // Box 2 overlaps box 0 by 50 / 150 = 0.333.
    const boxes = new Float32Array([0, 0, 10, 10, 2, 0, 12, 10, 5, 0, 15, 10, 40, 40, 50, 50]);
    const scores = new Float32Array([0.9, 0.95, 0.8, 0.04]);
    // Box 1 (best) overlaps box 0 by 80 / 120 = 0.667 and box 2 by 70 / 130 = 0.538; box 3 is under the score threshold.
    expect(nonMaxSuppression(boxes, scores, { maxOutput: 10, iouThreshold: 0.5, scoreThreshold: 0.05 })).toEqual([1]);
    expect(nonMaxSuppression(boxes, scores, { maxOutput: 10, iouThreshold: 0.6, scoreThreshold: 0.05 })).toEqual([1, 2]);
    expect(nonMaxSuppression(boxes, scores, { maxOutput: 10, iouThreshold: 0.7, scoreThreshold: 0.05 })).toEqual([1, 0, 2]);
    expect(nonMaxSuppression(boxes, scores, { maxOutput: 1, iouThreshold: 0.7, scoreThreshold: 0 })).toEqual([1]);
  });
});

describe('decodeDetections', () => {
  // Two anchors of 10x10 centred at (5, 5) and (7, 5); 2 classes; zero deltas reproduce the anchors.
  const anchors = new Float32Array([5, 5, 10, 10, 7, 5, 10, 10]);
  const row = (deltas: number[], probs: number[]) => [...deltas, ...probs.map(logit)];

  it('applies NMS per class: overlapping boxes of one class merge, of different classes stay', () => {
    const out = new Float32Array([...row([0, 0, 0, 0], [0.9, 0.01]), ...row([0, 0, 0, 0], [0.8, 0.7])]);
    const d = decodeDetections(out, anchors, 2);
    expect(Array.from(d.labels)).toEqual([0, 1]);
    expect(Array.from(d.scores)).toEqual([expect.closeTo(0.9, 5), expect.closeTo(0.7, 5)]);
    expect(Array.from(d.boxes)).toEqual([0, 0, 10, 10, 2, 0, 12, 10]);
  });

  it('decodes deltas with the variances and keeps the global top N', () => {
    // dx = 1 -> centre moves 1 * 0.1 * 10 = 1 px; dw = ln(2) / 0.2 -> width doubles.
    const out = new Float32Array([...row([1, 0, Math.log(2) / BOX_VARIANCE[2], 0], [0.9, 0.6]), ...row([0, 0, 0, 0], [0.01, 0.01])]);
    const d = decodeDetections(out, anchors, 2, { maxDetections: 1 });
    expect(d.scores.length).toBe(1);
    expect(Array.from(d.boxes)).toEqual([expect.closeTo(-4, 4), 0, expect.closeTo(16, 4), 10]);
    expect(() => decodeDetections(new Float32Array(3), anchors, 2)).toThrow(/output has 3 numbers/);
  });

  it('maps detections to COCO results in original pixels, clipped, with COCO category ids', () => {
    const d = { boxes: new Float32Array([10, 20, 30, 60, -5, 0, 4, 8]), scores: new Float32Array([0.5, 0.25]), labels: new Int32Array([0, 2]) };
    const coco = toCocoDetections(d, { imageId: 42, scaleX: 0.5, scaleY: 0.25, width: 100, height: 200 }, (l) => [1, 2, 90][l]);
    expect(coco).toEqual([
      { image_id: 42, category_id: 1, bbox: [20, 80, 40, 120], score: 0.5 },
      { image_id: 42, category_id: 90, bbox: [0, 0, 8, 32], score: 0.25 },
    ]);
    const flipped = toCocoDetections(d, { imageId: 1, scaleX: 1, scaleY: 1, width: 100, height: 100, flipped: true, resizedWidth: 50 }, () => 1);
    expect(flipped[0].bbox).toEqual([20, 20, 20, 40]);
  });
});
