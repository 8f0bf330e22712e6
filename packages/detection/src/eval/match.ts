/**
 * Per image and category matching: pycocotools' `COCOeval.computeIoU` + `evaluateImg`, for every area range and
 * IoU threshold, written into flat typed arrays instead of one dict per (image, category, area range).
 */
import { boxIouMatrix } from './iou.js';
import type { DetectionTable, GroundTruthTable, ResolvedParams } from './validate.js';

/** A detection is a true positive candidate: matched to a ground truth whose id is non-zero (pycocotools' `dtm != 0`). */
export const MATCHED = 1;
/** A detection is ignored: matched to an ignored ground truth, or unmatched and outside the area range. */
export const IGNORED = 2;

/**
 * The matching outcome of every kept detection. Detections are laid out category by category (the evaluated
 * categories in ascending id order; one block when `useCats` is off), then image by image in ascending id order,
 * then by descending score: the order in which pycocotools concatenates `evalImgs` in `accumulate()`.
 */
export interface MatchedDetections {
  /** Kept detections (at most `maxDets[-1]` per image and category). */
  count: number;
  /** Score of each kept detection. */
  score: Float64Array;
  /** Its rank by score in its image (0 = best); `accumulate()` keeps those with rank < maxDet. */
  rank: Int32Array;
  /** `MATCHED | IGNORED` bits at `(a * T + t) * stride + position`. */
  flags: Uint8Array;
  /** Row length of `flags` (>= `count`). */
  stride: number;
  /** Detections of category block k are positions `categoryStart[k] .. categoryStart[k + 1] - 1`. */
  categoryStart: Int32Array;
  /** Ground truths not ignored, at `k * A + a` (pycocotools' `npig`). */
  npig: Int32Array;
}

/**
 * Groups record indices by key in one counting sort (CSR): the records of key `q` are
 * `order[offsets[q] .. offsets[q + 1] - 1]`, in their input order. Keys < 0 are left out.
 */
function groupBy(keys: Int32Array, keyCount: number): { offsets: Int32Array; order: Int32Array } {
  const offsets = new Int32Array(keyCount + 1);
  for (let i = 0; i < keys.length; i++) if (keys[i] >= 0) offsets[keys[i] + 1]++;
  for (let q = 0; q < keyCount; q++) offsets[q + 1] += offsets[q];
  const fill = offsets.slice(0, keyCount);
  const order = new Int32Array(offsets[keyCount]);
  for (let i = 0; i < keys.length; i++) if (keys[i] >= 0) order[fill[keys[i]]++] = i;
  return { offsets, order };
}

/** Maps table indices (into the ground truth's sorted ids) to evaluated indices (into `selected`), -1 if left out. */
function selection(all: readonly number[], selected: readonly number[]): Int32Array {
  const pos = new Map<number, number>();
  selected.forEach((id, i) => pos.set(id, i));
  return Int32Array.from(all, (id) => pos.get(id) ?? -1);
}

/**
 * Record keys so that a group's records are contiguous in the order pycocotools lists them: with categories,
 * group (k, i) is key `k * I + i`; without, image i's records are keys `i * K .. i * K + K - 1`, i.e. category by
 * category (pycocotools concatenates `_gts[imgId, cId] for cId in catIds`), each in input order.
 */
function recordKeys(image: Int32Array, category: Int32Array, imageSel: Int32Array, categorySel: Int32Array, p: ResolvedParams): Int32Array {
  const I = p.imgIds.length;
  const K = p.catIds.length;
  const keys = new Int32Array(image.length);
  for (let r = 0; r < image.length; r++) {
    const i = imageSel[image[r]];
    const k = category[r] < 0 ? -1 : categorySel[category[r]];
    keys[r] = i < 0 || k < 0 ? -1 : p.useCats ? k * I + i : i * K + k;
  }
  return keys;
}

/** Runs the matching of every (category, image) group and every area range and IoU threshold. */
export function matchDetections(gt: GroundTruthTable, dt: DetectionTable, p: ResolvedParams): MatchedDetections {
  const I = p.imgIds.length;
  const K = p.catIds.length;
  const blocks = p.useCats ? K : 1;
  const T = p.iouThrs.length;
  const A = p.areaRng.length;
  const maxDet = p.maxDets[p.maxDets.length - 1];
  const imageSel = selection(gt.imageIds, p.imgIds);
  const categorySel = selection(gt.categoryIds, p.catIds);
  const gtGroups = groupBy(recordKeys(gt.image, gt.category, imageSel, categorySel, p), K * I);
  const dtGroups = groupBy(recordKeys(dt.image, dt.category, imageSel, categorySel, p), K * I);
  // A group's records span `stride` consecutive keys (one category, or all K categories of an image).
  const stride = p.useCats ? 1 : K;

  const capacity = dtGroups.order.length;
  const score = new Float64Array(capacity);
  const rank = new Int32Array(capacity);
  const flags = new Uint8Array(A * T * capacity);
  const categoryStart = new Int32Array(blocks + 1);
  const npig = new Int32Array(blocks * A);
  // pycocotools caps the match threshold just below 1 so that an IoU of exactly 1 still matches at t = 1.
  const thresholds = p.iouThrs.map((t) => Math.min(t, 1 - 1e-10));

  // Scratch buffers reused across groups (grown on demand).
  let ious = new Float64Array(64);
  let dtSorted = new Int32Array(64);
  let gtIgnore = new Uint8Array(64);
  let gtOrder = new Int32Array(64);
  let gtMatched = new Uint8Array(64);
  let dtOut = new Uint8Array(64);

  let P = 0; // positions written so far
  for (let k = 0; k < blocks; k++) {
    categoryStart[k] = P;
    for (let i = 0; i < I; i++) {
      const group = k * I + i;
      const gtBegin = gtGroups.offsets[group * stride];
      const G = gtGroups.offsets[(group + 1) * stride] - gtBegin;
      const dtBegin = dtGroups.offsets[group * stride];
      const dtAll = dtGroups.offsets[(group + 1) * stride] - dtBegin;
      const gtList = gtGroups.order.subarray(gtBegin, gtBegin + G);
      if (dtAll > dtSorted.length) dtSorted = new Int32Array(dtAll * 2);
      if (G > gtIgnore.length) {
        gtIgnore = new Uint8Array(G * 2);
        gtOrder = new Int32Array(G * 2);
        gtMatched = new Uint8Array(G * 2);
      }
      // Highest score first; equal scores keep their listed order (numpy's stable mergesort on -score).
      const dtList = dtGroups.order;
      const order = dtSorted.subarray(0, dtAll);
      for (let d = 0; d < dtAll; d++) order[d] = d;
      order.sort((a, b) => dt.score[dtList[dtBegin + b]] - dt.score[dtList[dtBegin + a]] || a - b);
      const D = Math.min(dtAll, maxDet);
      for (let d = 0; d < D; d++) order[d] = dtList[dtBegin + order[d]];
      if (D * G > ious.length) ious = new Float64Array(D * G * 2);
      if (D > dtOut.length) dtOut = new Uint8Array(D * 2);
      if (D > 0 && G > 0) boxIouMatrix(dt.box, order, D, gt.box, gtList, G, gt.crowd, ious);
      for (let d = 0; d < D; d++) {
        score[P + d] = dt.score[order[d]];
        rank[P + d] = d;
      }

      for (let a = 0; a < A; a++) {
        const [lo, hi] = p.areaRng[a];
        // Ignored ground truth (crowd, or area outside the range) goes last, otherwise in listed order.
        let n = 0;
        for (let g = 0; g < G; g++) {
          const r = gtList[g];
          const area = gt.area[r];
          gtIgnore[g] = gt.crowd[r] !== 0 || area < lo || area > hi ? 1 : 0;
          if (gtIgnore[g] === 0) gtOrder[n++] = g;
        }
        npig[k * A + a] += n;
        for (let g = 0; g < G; g++) if (gtIgnore[g] !== 0) gtOrder[n++] = g;
        for (let d = 0; d < D; d++) {
          const o = order[d] * 4;
          const area = dt.box[o + 2] * dt.box[o + 3];
          dtOut[d] = area < lo || area > hi ? 1 : 0;
        }
        for (let t = 0; t < T; t++) {
          const out = (a * T + t) * capacity + P;
          gtMatched.fill(0, 0, G);
          for (let d = 0; d < D; d++) {
            // Greedy: this detection takes the best still-free ground truth with IoU >= t, preferring
            // non-ignored ones (the scan stops at the first ignored one once a non-ignored match is held);
            // crowd regions can absorb any number of detections. A later equal IoU replaces the match.
            let best = thresholds[t];
            let m = -1;
            for (let s = 0; s < G; s++) {
              const g = gtOrder[s];
              const crowd = gt.crowd[gtList[g]] !== 0;
              if (gtMatched[g] !== 0 && !crowd) continue;
              if (m > -1 && gtIgnore[m] === 0 && gtIgnore[g] === 1) break;
              const iou = ious[d * G + g];
              if (iou < best) continue;
              best = iou;
              m = g;
            }
            let f = 0;
            if (m > -1) {
              gtMatched[m] = 1;
              if (gtIgnore[m] !== 0) f |= IGNORED;
              if (gt.idNonZero[gtList[m]] !== 0) f |= MATCHED;
            }
            // Unmatched (dtm == 0) detections outside the area range are ignored.
            if ((f & MATCHED) === 0 && dtOut[d] !== 0) f |= IGNORED;
            flags[out + d] = f;
          }
        }
      }
      P += D;
    }
  }
  categoryStart[blocks] = P;
  return { count: P, score, rank, flags, stride: capacity, categoryStart, npig };
}
