/**
 * COCO bounding-box evaluation that reproduces pycocotools' `COCOeval(gt, gt.loadRes(dt), 'bbox')` followed by
 * `evaluate()`, `accumulate()` and `summarize()` (cocodataset/cocoapi, PythonAPI/pycocotools/cocoeval.py),
 * number for number.
 */
import { accumulate } from './accumulate.js';
import { matchDetections } from './match.js';
import { summarize } from './summarize.js';
import type { CocoDetection, CocoEvalOptions, CocoEvalResult, CocoGroundTruth } from './types.js';
import { packDetections, packGroundTruth, resolveParams } from './validate.js';
import { COCO_EVAL_OPTION_KEYS, assertKnownOptions } from '../option-keys.js';

/**
 * Scores detections against COCO ground truth exactly as pycocotools' `COCOeval` with `iouType='bbox'`.
 *
 * What it reproduces: IoU thresholds .50:.05:.95, 101 recall points, maxDets 1/10/100 per image and category,
 * the area ranges all/small/medium/large read from the ground truth's `area` field (detections use
 * `width * height`, as `loadRes` sets it); crowd regions (`iscrowd`) are ignored ground truth whose IoU uses the
 * detection's area as the union, and detections matched to them are ignored, not false positives; greedy matching
 * by descending score with numpy's stable tie order; the precision envelope; -1 where a category has no ground
 * truth in a setting; detections beyond maxDets per image dropped by score. As in pycocotools, a ground truth's
 * `ignore` field is overwritten by `iscrowd`, and detections of categories the ground truth does not list are
 * never matched (nor counted).
 *
 * An empty detection list is allowed (pycocotools' `loadRes` fails on it; an empty results object gives AP 0
 * for every category with ground truth, which is what this returns).
 *
 * @param groundTruth A parsed `instances_*.json`: `images`, `annotations` (`id`, `image_id`, `category_id`,
 *   `bbox`, `area`, `iscrowd`), `categories`.
 * @param detections COCO results: `image_id`, `category_id`, `bbox` `[x, y, w, h]`, `score`.
 * @param options Subsets of images/categories, `useCats`, `maxDets`, `iouThrs`.
 * @throws TypeError / RangeError naming the record (e.g. `detections[12]: bbox[2] must be a finite number`) for a
 *   missing or malformed field, a detection on an image that is not in the ground truth, a repeated annotation id,
 *   or invalid options.
 */
export function evaluateCoco(
  groundTruth: CocoGroundTruth,
  detections: readonly CocoDetection[],
  options: CocoEvalOptions = {},
): CocoEvalResult {
  assertKnownOptions(options, COCO_EVAL_OPTION_KEYS, 'evaluateCoco options');
  const gt = packGroundTruth(groundTruth);
  const dt = packDetections(detections, gt);
  const p = resolveParams(options, gt);
  const acc = accumulate(matchDetections(gt, dt, p), p);
  const { stats, lines } = summarize(acc, p);
  const K = p.useCats ? p.catIds.length : 1;
  return {
    stats,
    lines,
    precision: acc.precision,
    recall: acc.recall,
    counts: [p.iouThrs.length, p.recThrs.length, K, p.areaRng.length, p.maxDets.length],
    params: p,
  };
}
