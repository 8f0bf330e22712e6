import { targetSize, type CocoDataset } from '@db/datasets';
import { generateAnchors } from '../anchors/anchors.js';
import { detectionTransform } from '../train/batches.js';
import { encodeLabels, type MatchThresholds } from './encode.js';

/** What {@link matchableFraction} counts. */
export interface MatchableCount {
  /** Input side in px. */
  inputSize: number;
  /** Non-crowd objects with a positive width and height after the resize. */
  boxes: number;
  /** Of those, objects with at least one positive anchor. */
  matchable: number;
  /** matchable / boxes (1 when there is no box). */
  fraction: number;
}

/**
 * How many of a COCO split's non-crowd objects can ever be a training target at `inputSize`: each image is resized
 * as the evaluation transform does (no jitter, no flip; the box geometry is computed from the annotation sizes, so
 * no JPEG is decoded) and its boxes are matched to the anchors by {@link encodeLabels} with `thresholds`. An object
 * no anchor is positive for adds nothing to the box loss and is background to the classifier.
 */
export function matchableFraction(dataset: CocoDataset, inputSize: number, thresholds: MatchThresholds = {}): MatchableCount {
  const anchors = generateAnchors(inputSize, inputSize);
  const transform = detectionTransform(inputSize, false);
  let boxes = 0;
  let matchable = 0;
  for (const image of dataset.images) {
    const size = targetSize(image.width, image.height, transform, Math.random);
    // Per-axis factors, as transformDetection maps the boxes.
    const fx = size.width / image.width;
    const fy = size.height / image.height;
    const corners = new Float32Array(image.objects.length * 4);
    const crowd = new Uint8Array(image.objects.length);
    image.objects.forEach((o, i) => {
      const [x, y, w, h] = o.bbox;
      corners.set([x * fx, y * fy, (x + w) * fx, (y + h) * fy], 4 * i);
      crowd[i] = o.iscrowd ? 1 : 0;
    });
    const enc = encodeLabels(anchors, corners, image.objects.map((o) => o.label), crowd, thresholds);
    image.objects.forEach((o, i) => {
      if (o.iscrowd || !(corners[4 * i + 2] > corners[4 * i] && corners[4 * i + 3] > corners[4 * i + 1])) return;
      boxes++;
      if (enc.objectPositives[i] > 0) matchable++;
    });
  }
  return { inputSize, boxes, matchable, fraction: boxes === 0 ? 1 : matchable / boxes };
}
