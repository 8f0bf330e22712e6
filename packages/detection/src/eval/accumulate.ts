/**
 * pycocotools' `COCOeval.accumulate()`: per category, area range and maxDets, the detections of all images are
 * ranked by score, cumulative true/false positives give recall `tp / npig` and precision
 * `tp / (tp + fp + eps)`, precision is made monotone from the right (the envelope), and sampled at the 101
 * recall thresholds by `np.searchsorted(rc, recThrs, side='left')`; thresholds beyond the last recall stay 0.
 */
import { IGNORED, MATCHED, type MatchedDetections } from './match.js';
import type { ResolvedParams } from './validate.js';

/** numpy's `np.spacing(1)`, added to the precision's denominator by pycocotools. */
const EPS = 2.220446049250313e-16;

/** Precision `[T, R, K, A, M]` and recall `[T, K, A, M]`, row-major, -1 where a setting has no ground truth. */
export interface Accumulated {
  precision: Float64Array;
  recall: Float64Array;
}

/** Builds the precision and recall arrays from the matched detections. */
export function accumulate(matched: MatchedDetections, p: ResolvedParams): Accumulated {
  const T = p.iouThrs.length;
  const R = p.recThrs.length;
  const K = p.useCats ? p.catIds.length : 1;
  const A = p.areaRng.length;
  const M = p.maxDets.length;
  const precision = new Float64Array(T * R * K * A * M).fill(-1);
  const recall = new Float64Array(T * K * A * M).fill(-1);
  const { score, rank, flags, stride, categoryStart, npig } = matched;

  let rc = new Float64Array(0);
  let pr = new Float64Array(0);
  let kept = new Int32Array(0);
  for (let k = 0; k < K; k++) {
    const begin = categoryStart[k];
    const n = categoryStart[k + 1] - begin;
    // Positions are laid out image by image, each by descending score, so sorting by descending score with
    // ties in position order equals numpy's stable mergesort of the concatenated scores. One sort serves every
    // maxDets: the detections kept at a smaller maxDets are a subsequence of this order.
    const ranked = new Int32Array(n);
    for (let j = 0; j < n; j++) ranked[j] = begin + j;
    ranked.sort((x, y) => score[y] - score[x] || x - y);
    if (n > kept.length) {
      kept = new Int32Array(n);
      rc = new Float64Array(n);
      pr = new Float64Array(n);
    }
    for (let m = 0; m < M; m++) {
      const maxDet = p.maxDets[m];
      let nd = 0;
      for (let j = 0; j < n; j++) if (rank[ranked[j]] < maxDet) kept[nd++] = ranked[j];
      for (let a = 0; a < A; a++) {
        const gtCount = npig[k * A + a];
        if (gtCount === 0) continue;
        for (let t = 0; t < T; t++) {
          const row = (a * T + t) * stride;
          let tp = 0;
          let fp = 0;
          for (let j = 0; j < nd; j++) {
            const f = flags[row + kept[j]];
            if ((f & IGNORED) === 0) {
              if ((f & MATCHED) !== 0) tp++;
              else fp++;
            }
            rc[j] = tp / gtCount;
            pr[j] = tp / (fp + tp + EPS);
          }
          recall[((t * K + k) * A + a) * M + m] = nd > 0 ? rc[nd - 1] : 0;
          for (let j = nd - 1; j > 0; j--) if (pr[j] > pr[j - 1]) pr[j - 1] = pr[j];
          let j = 0;
          for (let r = 0; r < R; r++) {
            while (j < nd && rc[j] < p.recThrs[r]) j++;
            precision[(((t * R + r) * K + k) * A + a) * M + m] = j < nd ? pr[j] : 0;
          }
        }
      }
    }
  }
  return { precision, recall };
}
