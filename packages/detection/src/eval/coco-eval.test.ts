import { describe, expect, it } from 'vitest';
import { evaluateCoco } from './coco-eval.js';
import type { CocoDetection, CocoGroundTruth, CocoGroundTruthAnnotation } from './types.js';

// Hand-computed cases. Stats order (pycocotools' summarize): 0 AP, 1 AP50, 2 AP75, 3-5 AP small/medium/large,
// 6-8 AR at maxDets 1/10/100, 9-11 AR small/medium/large.

type Box = [number, number, number, number];

function gtFile(anns: { image?: number; category?: number; bbox: Box; area?: number; iscrowd?: number; ignore?: number }[], images = [1], categories = [1]): CocoGroundTruth {
  const annotations: CocoGroundTruthAnnotation[] = anns.map((a, i) => ({
    id: i + 1,
    image_id: a.image ?? 1,
    category_id: a.category ?? 1,
    bbox: a.bbox,
    area: a.area ?? a.bbox[2] * a.bbox[3],
    iscrowd: a.iscrowd ?? 0,
    ...(a.ignore === undefined ? {} : { ignore: a.ignore }),
  }));
  return { images: images.map((id) => ({ id })), categories: categories.map((id) => ({ id })), annotations };
}

function det(bbox: Box, score: number, image = 1, category = 1): CocoDetection {
  return { image_id: image, category_id: category, bbox, score };
}

/** precision[t, r, k, a, m] of a result. */
function precisionAt(result: ReturnType<typeof evaluateCoco>, t: number, r: number, k: number, a: number, m: number): number {
  const [, R, K, A, M] = result.counts;
  return result.precision[(((t * R + r) * K + k) * A + a) * M + m];
}

describe('evaluateCoco: hand-computed cases', () => {
  it('perfect detections give 1 for every AP and AR, and every precision entry is 1', () => {
    // Two images, two categories, one object per image and category, small / medium / large.
    const gt = gtFile(
      [
        { image: 1, category: 1, bbox: [0, 0, 20, 20] }, // small (400)
        { image: 1, category: 2, bbox: [50, 50, 50, 50] }, // medium (2500)
        { image: 2, category: 1, bbox: [10, 10, 200, 100] }, // large (20000)
        { image: 2, category: 2, bbox: [300, 0, 10, 10] }, // small
      ],
      [1, 2],
      [1, 2],
    );
    const dets = gt.annotations.map((a, i) => det(a.bbox as Box, 0.3 + 0.1 * i, a.image_id, a.category_id));
    const result = evaluateCoco(gt, dets);
    // Precision is tp / (tp + fp + eps) with numpy's eps, so a perfect AP is 1 / (1 + 2^-52), as in pycocotools.
    expect(result.stats).toEqual(Array(12).fill(expect.closeTo(1, 12)));
    expect(result.counts).toEqual([10, 101, 2, 4, 3]);
    // -1 only where a category has no object in the area range (category 2 has no large one...).
    const [T, R, K, A, M] = result.counts;
    for (let t = 0; t < T; t++)
      for (let r = 0; r < R; r++)
        for (let k = 0; k < K; k++)
          for (let m = 0; m < M; m++) {
            expect(precisionAt(result, t, r, k, 0, m)).toBeCloseTo(1, 12);
            expect(precisionAt(result, t, r, k, 3, m)).toBeCloseTo(k === 0 ? 1 : -1, 12);
          }
    expect(A).toBe(4);
  });

  it('a one-class precision/recall curve computed on paper', () => {
    // Four 10x10 objects; six detections by descending score: exact hit, miss, a box 8x8 inside object 3
    // (IoU 64/100 = 0.64), miss, exact hit on object 2, miss. Object 4 is never found.
    const gt = gtFile([{ bbox: [0, 0, 10, 10] }, { bbox: [20, 0, 10, 10] }, { bbox: [40, 0, 10, 10] }, { bbox: [60, 0, 10, 10] }]);
    const dets = [
      det([0, 0, 10, 10], 0.9),
      det([100, 100, 10, 10], 0.8),
      det([40, 0, 8, 8], 0.7),
      det([120, 100, 10, 10], 0.6),
      det([20, 0, 10, 10], 0.5),
      det([140, 100, 10, 10], 0.4),
    ];
    const result = evaluateCoco(gt, dets);
    // IoU .50, .55, .60: TP FP TP FP TP FP -> recall .25 .25 .5 .5 .75 .75, precision 1 1/2 2/3 1/2 3/5 1/2,
    // envelope 1 2/3 2/3 3/5 3/5 1/2. 101-point sampling: r = 0...0.25 (26 points) -> 1, 0.26...0.50 (25) -> 2/3,
    // 0.51...0.75 (25) -> 3/5, above 0.75 (25) -> 0: AP = (26 + 25*2/3 + 25*3/5) / 101 = 173/303.
    const apLow = 173 / 303;
    // IoU .65 ... .95 (7 thresholds): TP FP FP FP TP FP -> recall .25 .25 .25 .25 .5 .5, precision
    // 1 1/2 1/3 1/4 2/5 1/3, envelope 1 1/2 2/5 2/5 2/5 1/3: r <= .25 -> 1 (26 points), .26...0.5 -> 2/5 (25).
    const apHigh = (26 + 25 * 0.4) / 101;
    expect(result.stats[0]).toBeCloseTo((3 * apLow + 7 * apHigh) / 10, 12);
    expect(result.stats[1]).toBeCloseTo(apLow, 12);
    expect(result.stats[2]).toBeCloseTo(apHigh, 12);
    expect(result.stats[3]).toBeCloseTo((3 * apLow + 7 * apHigh) / 10, 12); // all objects are small (100 px²)
    expect(result.stats[4]).toBe(-1); // no medium object
    expect(result.stats[5]).toBe(-1);
    expect(result.stats[6]).toBeCloseTo(0.25, 12); // maxDets 1: only the top detection, a hit
    expect(result.stats[7]).toBeCloseTo((3 * 0.75 + 7 * 0.5) / 10, 12);
    expect(result.stats[8]).toBeCloseTo((3 * 0.75 + 7 * 0.5) / 10, 12);
    expect(precisionAt(result, 0, 25, 0, 0, 2)).toBeCloseTo(1, 12);
    expect(precisionAt(result, 0, 26, 0, 0, 2)).toBeCloseTo(2 / 3, 15);
    expect(precisionAt(result, 0, 75, 0, 0, 2)).toBeCloseTo(3 / 5, 15);
    expect(precisionAt(result, 0, 76, 0, 0, 2)).toBe(0);
    expect(precisionAt(result, 9, 50, 0, 0, 2)).toBeCloseTo(2 / 5, 15);
    expect(precisionAt(result, 9, 51, 0, 0, 2)).toBe(0);
    expect(result.recall[0 * 12 + 0 * 3 + 2]).toBeCloseTo(0.75, 15); // recall[t=0, k=0, a=all, m=100]
  });

  it('crowd regions: detections inside are ignored (IoU over the detection area), not false positives', () => {
    const objects = [{ bbox: [0, 0, 10, 10] as Box }, { bbox: [50, 0, 100, 100] as Box, iscrowd: 1 }];
    // Two detections inside the crowd box, one scoring above the true hit: IoU with a crowd = 400/400 = 1.
    const dets = [det([60, 10, 20, 20], 0.95), det([0, 0, 10, 10], 0.9), det([60, 50, 20, 20], 0.8)];
    const crowd = evaluateCoco(gtFile(objects), dets);
    expect(crowd.stats[0]).toBeCloseTo(1, 12);
    expect(crowd.stats[8]).toBeCloseTo(1, 12);
    // Same boxes, the big one an ordinary object: the 0.95 detection (IoU 400/10000) is a false positive ranked
    // first, the big object is missed. Recall 0 0.5 0.5, precision 0 1/2 1/3 -> envelope 1/2 1/2 1/3; r = 0..0.5
    // (51 points) -> 1/2: AP = 25.5/101.
    const plain = evaluateCoco(gtFile(objects.map((o) => ({ ...o, iscrowd: 0 }))), dets);
    expect(plain.stats[0]).toBeCloseTo(25.5 / 101, 12);
    expect(plain.stats[8]).toBeCloseTo(0.5, 12);
  });

  it("an 'ignore' field is overwritten by iscrowd, as pycocotools does", () => {
    const gt = gtFile([{ bbox: [0, 0, 10, 10], ignore: 1 }, { bbox: [20, 0, 10, 10] }]);
    const result = evaluateCoco(gt, [det([20, 0, 10, 10], 0.9)]);
    // Both objects count: one found -> recall 0.5, AP = 51/101.
    expect(result.stats[0]).toBeCloseTo(51 / 101, 12);
  });

  it("area ranges read the annotation's area field; unmatched detections outside a range are ignored in it", () => {
    const gt = gtFile([
      { bbox: [0, 0, 30, 30], area: 900 }, // small
      { bbox: [100, 0, 40, 40], area: 1600 }, // medium, never detected
      { bbox: [200, 0, 150, 150], area: 22500 }, // large
      { bbox: [400, 0, 50, 50], area: 1000 }, // box area 2500 but area field 1000: small
      { bbox: [500, 0, 32, 32], area: 1024 }, // exactly 32², in both small and medium (ranges are inclusive)
    ]);
    const dets = [
      det([600, 600, 200, 200], 0.95), // false positive, large
      det([0, 0, 30, 30], 0.9),
      det([400, 0, 50, 50], 0.8),
      det([200, 0, 150, 150], 0.7),
      det([500, 0, 32, 32], 0.6),
    ];
    const result = evaluateCoco(gt, dets);
    // all: FP then 4 hits of 5 -> precision 0 1/2 2/3 3/4 4/5, envelope 4/5; recall up to .8: 81 points.
    expect(result.stats[0]).toBeCloseTo((81 * 0.8) / 101, 12);
    // small: 3 objects, 3 hits; the large FP is outside the range and unmatched -> ignored.
    expect(result.stats[3]).toBeCloseTo(1, 12);
    // medium: objects 2 and 5 count; hits on small/large objects are ignored; one hit of two -> 51/101.
    expect(result.stats[4]).toBeCloseTo(51 / 101, 12);
    // large: the large FP outranks the hit -> precision 0 1/2, envelope 1/2 everywhere.
    expect(result.stats[5]).toBeCloseTo(0.5, 12);
    expect(result.stats[9]).toBeCloseTo(1, 12);
    expect(result.stats[10]).toBeCloseTo(0.5, 12);
    expect(result.stats[11]).toBeCloseTo(1, 12);
  });

  it('maxDets: AR at 1, 10, 100 detections per image, and detections beyond 100 dropped by score', () => {
    const boxes: Box[] = Array.from({ length: 12 }, (_, i) => [i * 20, 0, 10, 10]);
    const gt = gtFile(boxes.map((bbox) => ({ bbox })));
    const result = evaluateCoco(gt, boxes.map((b, i) => det(b, 1 - i * 0.01)));
    expect(result.stats[6]).toBeCloseTo(1 / 12, 12);
    expect(result.stats[7]).toBeCloseTo(10 / 12, 12);
    expect(result.stats[8]).toBeCloseTo(1, 12);
    expect(result.stats[0]).toBeCloseTo(1, 12);

    // One object; its exact hit ranks 100th behind 99 misses: kept, precision 1/100 at every recall.
    const one = gtFile([{ bbox: [0, 0, 10, 10] }]);
    const misses = Array.from({ length: 99 }, (_, i) => det([1000 + i * 20, 0, 10, 10], 0.9));
    const at100 = evaluateCoco(one, [...misses, det([0, 0, 10, 10], 0.5)]);
    expect(at100.stats[0]).toBeCloseTo(0.01, 12);
    expect(at100.stats[8]).toBeCloseTo(1, 12);
    // Ranked 101st: dropped, nothing found.
    const at101 = evaluateCoco(one, [...misses, det([3000, 0, 10, 10], 0.9), det([0, 0, 10, 10], 0.5)]);
    expect(at101.stats[0]).toBe(0);
    expect(at101.stats[8]).toBe(0);
    // Custom maxDets: summarize still asks stats[0] for maxDets=100, which is absent -> -1 (as pycocotools).
    const custom = evaluateCoco(gt, boxes.map((b, i) => det(b, 1 - i * 0.01)), { maxDets: [5, 1, 3] });
    expect(custom.stats[0]).toBe(-1);
    expect(custom.stats.slice(6, 9).map((v) => v * 12)).toEqual([1, 3, 5].map((v) => expect.closeTo(v, 9)));
  });

  it('equal scores keep the order pycocotools gives them: input order within an image, image id across images', () => {
    const gt = gtFile([{ bbox: [0, 0, 10, 10] }]);
    const hit = det([0, 0, 10, 10], 0.5);
    const miss = det([50, 50, 10, 10], 0.5);
    expect(evaluateCoco(gt, [miss, hit]).stats[0]).toBeCloseTo(0.5, 12);
    expect(evaluateCoco(gt, [hit, miss]).stats[0]).toBeCloseTo(1, 12);
    // The hit on image 2, the miss on image 1: image 1 comes first whatever the input order.
    const two = gtFile([{ image: 2, bbox: [0, 0, 10, 10] }], [2, 1]);
    expect(evaluateCoco(two, [det([0, 0, 10, 10], 0.5, 2), det([0, 0, 10, 10], 0.5, 1)]).stats[0]).toBeCloseTo(0.5, 12);
  });

  it('wrong classes and duplicates are false positives; unknown categories are skipped', () => {
    const gt = gtFile([{ bbox: [0, 0, 10, 10], category: 1 }], [1], [1, 2]);
    const dets = [det([0, 0, 10, 10], 0.9, 1, 2), det([0, 0, 10, 10], 0.8, 1, 7), det([0, 0, 10, 10], 0.7), det([0, 0, 10, 10], 0.6)];
    const result = evaluateCoco(gt, dets);
    // Category 1: hit then duplicate -> AP 1; category 2 has no ground truth -> -1, left out of the mean.
    expect(result.stats[0]).toBeCloseTo(1, 12);
    expect(result.counts[2]).toBe(2);
    // Without categories the wrong-class detection (0.9) takes the object first, the rest are duplicates.
    expect(evaluateCoco(gt, dets, { useCats: false }).stats[0]).toBeCloseTo(1, 12);
  });

  it('an empty detection list gives AP 0 where there is ground truth and -1 where there is none', () => {
    const gt = gtFile([{ bbox: [0, 0, 10, 10] }], [1, 2], [1, 2]);
    const result = evaluateCoco(gt, []);
    expect(result.stats).toEqual([0, 0, 0, 0, -1, -1, 0, 0, 0, 0, -1, -1]);
    expect(result.lines[0]).toBe(' Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.000');
    expect(result.lines[4]).toBe(' Average Precision  (AP) @[ IoU=0.50:0.95 | area=medium | maxDets=100 ] = -1.000');
    expect(evaluateCoco(gtFile([]), []).stats).toEqual(Array(12).fill(-1));
  });

  it('imgIds and catIds restrict the evaluation', () => {
    const gt = gtFile([{ image: 1, bbox: [0, 0, 10, 10] }, { image: 2, bbox: [0, 0, 10, 10], category: 2 }], [1, 2], [1, 2]);
    const dets = [det([0, 0, 10, 10], 0.9, 1)];
    expect(evaluateCoco(gt, dets).stats[0]).toBeCloseTo(0.5, 12); // category 2 scores 0
    expect(evaluateCoco(gt, dets, { catIds: [1] }).stats[0]).toBeCloseTo(1, 12);
    expect(evaluateCoco(gt, dets, { imgIds: [1] }).stats[0]).toBeCloseTo(1, 12);
    expect(evaluateCoco(gt, dets, { imgIds: [2] }).stats[0]).toBe(0);
  });
});

describe('evaluateCoco: bad input names the record', () => {
  const gt = gtFile([{ bbox: [0, 0, 10, 10] }]);
  it.each([
    ['a NaN box', [det([0, Number.NaN, 10, 10], 0.9)], /detections\[0\]: bbox\[1\] must be a finite number/],
    ['a detection on an unknown image', [det([0, 0, 1, 1], 0.9), det([0, 0, 1, 1], 0.9, 42)], /detections\[1\]: image_id 42 is not an image of the ground truth/],
    ['a missing score', [{ image_id: 1, category_id: 1, bbox: [0, 0, 1, 1] }], /detections\[0\]: missing field 'score'/],
    ['a box of 3 numbers', [{ image_id: 1, category_id: 1, bbox: [0, 0, 1], score: 1 }], /detections\[0\]: 'bbox' must be \[x, y, width, height\]/],
    ['a negative width', [det([0, 0, -1, 1], 0.9)], /detections\[0\]: bbox width and height must be >= 0/],
    ['not an array', { image_id: 1 }, /detections must be an array/],
  ])('%s', (_what, dets, message) => {
    expect(() => evaluateCoco(gt, dets as CocoDetection[])).toThrow(message);
  });

  it.each([
    ['a missing area', { id: 7, image_id: 1, category_id: 1, bbox: [0, 0, 1, 1], iscrowd: 0 }, /groundTruth.annotations\[1\] \(id 7\): missing field 'area'/],
    ['an unknown image', { id: 7, image_id: 3, category_id: 1, bbox: [0, 0, 1, 1], area: 1, iscrowd: 0 }, /\(id 7\): image_id 3 is not in groundTruth.images/],
    ['a repeated id', { id: 1, image_id: 1, category_id: 1, bbox: [0, 0, 1, 1], area: 1, iscrowd: 0 }, /\(id 1\): id 1 is also the id of groundTruth.annotations\[0\]/],
    ['a missing iscrowd', { id: 7, image_id: 1, category_id: 1, bbox: [0, 0, 1, 1], area: 1 }, /\(id 7\): missing field 'iscrowd'/],
  ])('ground truth with %s', (_what, ann, message) => {
    const bad = { ...gt, annotations: [...gt.annotations, ann] } as CocoGroundTruth;
    expect(() => evaluateCoco(bad, [])).toThrow(message);
  });

  it('rejects bad options', () => {
    expect(() => evaluateCoco(gt, [], { maxDets: [1, 10] })).toThrow(/options.maxDets needs at least 3 values/);
    expect(() => evaluateCoco(gt, [], { imgIds: [5] })).toThrow(/options.imgIds must hold ids of ground-truth images/);
    expect(() => evaluateCoco(gt, [], { iouThrs: [1.5] })).toThrow(/options.iouThrs must hold numbers in \[0, 1\]/);
  });
});
