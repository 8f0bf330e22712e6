import { encodeBox } from './box-coder.js';
import { centerToCorners, checkBoxes, iouMatrix } from './iou.js';
import { MATCH_THRESHOLD_KEYS, assertKnownOptions } from '../option-keys.js';

/** Class target of an anchor matched to no object (IoU below {@link MatchThresholds.negative}). */
export const BACKGROUND = -1;
/** Class target of an anchor left out of the classification loss (IoU between the two thresholds). */
export const IGNORED = -2;

/** IoU thresholds of anchor matching (Lin et al. 2017, sec. 4: foreground at >= 0.5, background below 0.4). */
export interface MatchThresholds {
  /** An anchor whose best IoU is at least this is positive. Default 0.5. */
  positive?: number;
  /** An anchor whose best IoU is below this is background; in between it is ignored. Default 0.4. */
  negative?: number;
}

/** Training targets of one image. */
export interface EncodedLabels {
  /** Regression targets, 4 per anchor (zeros where the anchor is not positive). */
  boxTargets: Float32Array;
  /** Per anchor: the matched object's contiguous label (positive), {@link BACKGROUND} or {@link IGNORED}. */
  classTargets: Float32Array;
  /** Number of positive anchors. */
  positives: number;
}

/**
 * Matches every anchor to the object of highest IoU and builds the targets (keras-io `LabelEncoder`): positive at
 * IoU >= 0.5 (class = the object's label, box target by {@link encodeBox}), background below 0.4, ignored in
 * between. Crowd objects (`iscrowd`) are never targets, but an anchor that would be positive on one is ignored
 * rather than called background. Objects with zero width or height are dropped (their log-size target is -inf).
 *
 * @param anchors centre boxes `[cx, cy, w, h]`, from `generateAnchors`
 * @param boxes object corners `[x1, y1, x2, y2]` in the same pixel grid
 * @param labels contiguous labels, one per object
 * @param iscrowd optional crowd flags, one per object
 */
export function encodeLabels(
  anchors: Float32Array,
  boxes: Float32Array,
  labels: Int32Array | readonly number[],
  iscrowd?: Uint8Array,
  thresholds: MatchThresholds = {},
): EncodedLabels {
  assertKnownOptions(thresholds, MATCH_THRESHOLD_KEYS, 'encodeLabels thresholds');
  checkBoxes(anchors, 'anchors');
  checkBoxes(boxes, 'boxes');
  const m = boxes.length / 4;
  if (labels.length !== m) throw new RangeError(`labels has ${labels.length} entries but boxes has ${m} boxes`);
  if (iscrowd !== undefined && iscrowd.length !== m) throw new RangeError(`iscrowd has ${iscrowd.length} entries but boxes has ${m} boxes`);
  const pos = thresholds.positive ?? 0.5;
  const neg = thresholds.negative ?? 0.4;
  if (!(neg > 0 && neg <= pos && pos <= 1)) throw new RangeError(`thresholds must satisfy 0 < negative <= positive <= 1, got ${neg}, ${pos}`);
  const n = anchors.length / 4;
  const boxTargets = new Float32Array(n * 4);
  const classTargets = new Float32Array(n).fill(BACKGROUND);
  // Keep the usable objects: targets (non-crowd, positive size) and crowd regions.
  const keep: number[] = [];
  for (let j = 0; j < m; j++) {
    if (!Number.isInteger(labels[j]) || labels[j] < 0) throw new RangeError(`labels[${j}] must be a non-negative integer, got ${labels[j]}`);
    if (boxes[4 * j + 2] > boxes[4 * j] && boxes[4 * j + 3] > boxes[4 * j + 1]) keep.push(j);
  }
  if (keep.length === 0) return { boxTargets, classTargets, positives: 0 };
  const kept = new Float32Array(keep.length * 4);
  keep.forEach((j, k) => kept.set(boxes.subarray(4 * j, 4 * j + 4), 4 * k));
  const iou = iouMatrix(centerToCorners(anchors), kept);
  const k = keep.length;
  let positives = 0;
  for (let i = 0; i < n; i++) {
    // Best non-crowd object (ties: the first, as argmax does) and best IoU with a crowd region.
    let best = -1;
    let bestIou = 0;
    let crowdIou = 0;
    for (let c = 0; c < k; c++) {
      const v = iou[i * k + c];
      if (iscrowd?.[keep[c]]) {
        if (v > crowdIou) crowdIou = v;
      } else if (v > bestIou || best < 0) {
        best = c;
        bestIou = v;
      }
    }
    if (best >= 0 && bestIou >= pos) {
      classTargets[i] = labels[keep[best]];
      encodeBox(kept, best, anchors, i, boxTargets, i);
      positives++;
    } else if (bestIou >= neg || crowdIou >= neg) {
      classTargets[i] = IGNORED;
    }
  }
  return { boxTargets, classTargets, positives };
}
