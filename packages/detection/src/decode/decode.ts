import { decodeBoxes } from '../encode/box-coder.js';
import { nonMaxSuppression } from './nms.js';

import type { CocoDetection } from '../eval/types.js';
import { DECODE_OPTION_KEYS, assertKnownOptions } from '../option-keys.js';

/** One detection in COCO's results format (https://cocodataset.org/#format-results), as the evaluator reads it. */
export type { CocoDetection };

/** Decoding settings; the defaults are keras-io's `DecodePredictions`. */
export interface DecodeOptions {
  /** Minimum class probability of a candidate. Default 0.05. */
  scoreThreshold?: number;
  /** NMS IoU threshold, per class. Default 0.5. */
  iouThreshold?: number;
  /** Detections kept per class by NMS. Default 100. */
  maxPerClass?: number;
  /** Detections kept per image, the best by score over all classes. Default 100. */
  maxDetections?: number;
}

/** Detections of one image, in the model's input pixels, best first. */
export interface ImageDetections {
  /** Corners `[x1, y1, x2, y2]`, 4 per detection. */
  boxes: Float32Array;
  /** Probability of each detection. */
  scores: Float32Array;
  /** Contiguous class label of each detection. */
  labels: Int32Array;
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/**
 * Turns one image's raw model output into detections (keras-io `DecodePredictions`, i.e.
 * `tf.image.combined_non_max_suppression` without clipping): boxes decoded from the regression outputs and the
 * anchors, class probabilities by sigmoid, greedy NMS per class (IoU 0.5, score above 0.05, up to 100 per class),
 * then the 100 best over all classes (ties: lower class, then higher per-class rank first).
 *
 * @param output one image's `[anchors, 4 + classes]` model output, flat row-major
 * @param anchors centre anchors `[cx, cy, w, h]` of the input size
 */
export function decodeDetections(output: Float32Array, anchors: Float32Array, numClasses: number, options: DecodeOptions = {}): ImageDetections {
  assertKnownOptions(options, DECODE_OPTION_KEYS, 'decodeDetections options');
  const n = anchors.length / 4;
  const width = 4 + numClasses;
  if (output.length !== n * width) {
    throw new RangeError(`output has ${output.length} numbers, expected anchors (${n}) x (4 + numClasses = ${width})`);
  }
  const scoreThreshold = options.scoreThreshold ?? 0.05;
  const iouThreshold = options.iouThreshold ?? 0.5;
  const maxPerClass = options.maxPerClass ?? 100;
  const maxDetections = options.maxDetections ?? 100;
  const deltas = new Float32Array(n * 4);
  const probs = new Float32Array(n * numClasses);
  for (let i = 0; i < n; i++) {
    const row = i * width;
    deltas.set(output.subarray(row, row + 4), 4 * i);
    for (let c = 0; c < numClasses; c++) probs[i * numClasses + c] = sigmoid(output[row + 4 + c]);
  }
  const boxes = decodeBoxes(deltas, anchors);
  const found: Array<{ box: number; label: number; score: number }> = [];
  for (let c = 0; c < numClasses; c++) {
    const kept = nonMaxSuppression(boxes, probs, {
      maxOutput: maxPerClass,
      iouThreshold,
      scoreThreshold,
      scoreStride: numClasses,
      scoreOffset: c,
    });
    for (const i of kept) found.push({ box: i, label: c, score: probs[i * numClasses + c] });
  }
  // Stable sort: equal scores keep class order, then NMS order.
  found.sort((a, b) => b.score - a.score);
  const top = found.slice(0, maxDetections);
  const out: ImageDetections = {
    boxes: new Float32Array(top.length * 4),
    scores: new Float32Array(top.length),
    labels: new Int32Array(top.length),
  };
  top.forEach((d, k) => {
    out.boxes.set(boxes.subarray(4 * d.box, 4 * d.box + 4), 4 * k);
    out.scores[k] = d.score;
    out.labels[k] = d.label;
  });
  return out;
}

/** Where a model input came from, to map detections back to the original image. */
export interface ImageFrame {
  /** COCO image id. */
  imageId: number;
  /** Horizontal factor original -> model input (resized width / original width). */
  scaleX: number;
  /** Vertical factor original -> model input. */
  scaleY: number;
  /** Original width, for clipping. */
  width: number;
  /** Original height, for clipping. */
  height: number;
  /** Whether the input was mirrored left-right (then boxes are mirrored back). */
  flipped?: boolean;
  /** Resized width inside the padding (needed with `flipped`). */
  resizedWidth?: number;
}

/**
 * Detections of one image in COCO's results format: boxes mapped back to the original pixels, clipped to the
 * image, as `[x, y, w, h]`; labels mapped to COCO category ids by `labelToCocoId`. Boxes left with no area after
 * clipping are dropped.
 */
export function toCocoDetections(detections: ImageDetections, frame: ImageFrame, labelToCocoId: (label: number) => number): CocoDetection[] {
  const out: CocoDetection[] = [];
  for (let k = 0; k < detections.scores.length; k++) {
    let x1 = detections.boxes[4 * k];
    let x2 = detections.boxes[4 * k + 2];
    if (frame.flipped) {
      const w = frame.resizedWidth ?? 0;
      [x1, x2] = [w - x2, w - x1];
    }
    const cx1 = clamp(x1 / frame.scaleX, frame.width);
    const cy1 = clamp(detections.boxes[4 * k + 1] / frame.scaleY, frame.height);
    const cx2 = clamp(x2 / frame.scaleX, frame.width);
    const cy2 = clamp(detections.boxes[4 * k + 3] / frame.scaleY, frame.height);
    if (!(cx2 > cx1 && cy2 > cy1)) continue;
    out.push({
      image_id: frame.imageId,
      category_id: labelToCocoId(detections.labels[k]),
      bbox: [round2(cx1), round2(cy1), round2(cx2 - cx1), round2(cy2 - cy1)],
      score: Math.round(detections.scores[k] * 1e5) / 1e5,
    });
  }
  return out;
}

function clamp(v: number, max: number): number {
  return Math.min(Math.max(v, 0), max);
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}
