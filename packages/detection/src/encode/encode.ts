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
  /**
   * Low-quality matches (Detectron2 `Matcher(allow_low_quality_matches=True)`, torchvision's RetinaNet): every
   * object's highest-IoU anchors (ties included) are positive for it even when that IoU is under `positive`, so
   * every non-crowd, non-empty object has at least one positive anchor. Default true. `false` is keras-io's rule
   * (positive only at IoU >= `positive`), which leaves small and elongated objects with no positive anchor at all.
   */
  allowLowQualityMatches?: boolean;
}

/** Training targets of one image. */
export interface EncodedLabels {
  /** Regression targets, 4 per anchor (zeros where the anchor is not positive). */
  boxTargets: Float32Array;
  /** Per anchor: the matched object's contiguous label (positive), {@link BACKGROUND} or {@link IGNORED}. */
  classTargets: Float32Array;
  /** Number of positive anchors. */
  positives: number;
  /** Per input object (in `boxes` order): how many anchors are positive for it (0 for crowd and empty boxes). */
  objectPositives: Int32Array;
}

/**
 * Matches every anchor to the object of highest IoU and builds the targets (keras-io `LabelEncoder`): positive at
 * IoU >= 0.5 (class = the object's label, box target by {@link encodeBox}), background below 0.4, ignored in
 * between. Crowd objects (`iscrowd`) are never targets, but an anchor that would be positive on one is ignored
 * rather than called background. Objects with zero width or height are dropped (their log-size target is -inf).
 *
 * With `allowLowQualityMatches` (the default), each remaining object's highest-IoU anchors, ties included, are
 * also positive for it, whatever that IoU (as long as it is above 0). Where such an anchor is already positive
 * at IoU >= `positive` for another object it keeps that object; where it is the best anchor of several objects it
 * goes to the one it overlaps most. An object left with no anchor by those two rules (small objects sharing one
 * cell, an object inside a larger one) then takes its best anchors among the unassigned ones. Detectron2 and
 * torchvision stop after the first step and give a low-quality anchor to its own highest-IoU object, which leaves
 * such objects without any anchor (14% of the COCO subset's val boxes at 128 px); the two extra steps make every
 * non-crowd, non-empty object a target.
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
  const lowQuality = thresholds.allowLowQualityMatches ?? true;
  if (typeof lowQuality !== 'boolean') throw new TypeError(`allowLowQualityMatches must be a boolean, got ${String(lowQuality)}`);
  const n = anchors.length / 4;
  const boxTargets = new Float32Array(n * 4);
  const classTargets = new Float32Array(n).fill(BACKGROUND);
  const objectPositives = new Int32Array(m);
  // Keep the usable objects: targets (non-crowd, positive size) and crowd regions.
  const keep: number[] = [];
  for (let j = 0; j < m; j++) {
    if (!Number.isInteger(labels[j]) || labels[j] < 0) throw new RangeError(`labels[${j}] must be a non-negative integer, got ${labels[j]}`);
    if (boxes[4 * j + 2] > boxes[4 * j] && boxes[4 * j + 3] > boxes[4 * j + 1]) keep.push(j);
  }
  if (keep.length === 0) return { boxTargets, classTargets, positives: 0, objectPositives };
  const kept = new Float32Array(keep.length * 4);
  keep.forEach((j, k) => kept.set(boxes.subarray(4 * j, 4 * j + 4), 4 * k));
  const iou = iouMatrix(centerToCorners(anchors), kept);
  const k = keep.length;
  // Per anchor: the object it is matched to (index into `kept`) or -1.
  const match = new Int32Array(n).fill(-1);
  const bestIous = new Float32Array(n);
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
    bestIous[i] = bestIou;
    if (best >= 0 && bestIou >= pos) match[i] = best;
    else if (bestIou >= neg || crowdIou >= neg) classTargets[i] = IGNORED;
  }
  if (lowQuality) {
    // Detectron2 `Matcher.set_low_quality_matches_`: the highest IoU of each object over all anchors, then every
    // anchor reaching it (exact ties: the IoUs are computed identically). An object with no overlap at all (max 0)
    // gets none, rather than every anchor.
    const maxPerObject = new Float32Array(k);
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < k; c++) if (iou[i * k + c] > maxPerObject[c]) maxPerObject[c] = iou[i * k + c];
    }
    for (let i = 0; i < n; i++) {
      if (bestIous[i] >= pos && match[i] >= 0) continue; // already a high-quality match
      let chosen = -1;
      let chosenIou = 0;
      for (let c = 0; c < k; c++) {
        if (iscrowd?.[keep[c]]) continue;
        const v = iou[i * k + c];
        if (v > 0 && v === maxPerObject[c] && v > chosenIou) {
          chosen = c;
          chosenIou = v;
        }
      }
      if (chosen >= 0) match[i] = chosen;
    }
    // An anchor can stand for one object only, so where small objects crowd one cell their common best anchor
    // goes to one of them (above). Each object left without an anchor takes its highest-IoU anchors among those
    // still unassigned (ties included), so that every object is a target somewhere: the next-best anchor of the
    // same or a neighbouring cell, which still regresses to the object's box.
    const count = new Int32Array(k);
    for (let i = 0; i < n; i++) if (match[i] >= 0) count[match[i]]++;
    for (let c = 0; c < k; c++) {
      if (count[c] > 0 || iscrowd?.[keep[c]]) continue;
      let top = 0;
      for (let i = 0; i < n; i++) if (match[i] < 0 && iou[i * k + c] > top) top = iou[i * k + c];
      if (top > 0) for (let i = 0; i < n; i++) if (match[i] < 0 && iou[i * k + c] === top) match[i] = c;
    }
  }
  let positives = 0;
  for (let i = 0; i < n; i++) {
    const c = match[i];
    if (c < 0) continue;
    classTargets[i] = labels[keep[c]];
    encodeBox(kept, c, anchors, i, boxTargets, i);
    objectPositives[keep[c]]++;
    positives++;
  }
  return { boxTargets, classTargets, positives, objectPositives };
}
