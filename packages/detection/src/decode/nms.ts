/**
 * Greedy non-maximum suppression on flat corner boxes, as TensorFlow's `NonMaxSuppressionV3` (the op behind
 * `tf.image.nonMaxSuppression` and, per class, `combined_non_max_suppression`): candidates above `scoreThreshold`
 * are visited by descending score (ties by lower index first); one is kept unless its IoU with an already kept box
 * is greater than `iouThreshold`; at most `maxOutput` are kept.
 *
 * @param boxes corners `[x1, y1, x2, y2]`, 4 numbers per box
 * @param scores one score per box, read at `scoreOffset + i * scoreStride` (so a column of a [boxes, classes]
 *   matrix can be read in place)
 * @returns indices of the kept boxes, by descending score
 */
export function nonMaxSuppression(
  boxes: Float32Array,
  scores: Float32Array,
  options: { maxOutput: number; iouThreshold: number; scoreThreshold: number; scoreStride?: number; scoreOffset?: number },
): number[] {
  const { maxOutput, iouThreshold, scoreThreshold } = options;
  const stride = options.scoreStride ?? 1;
  const offset = options.scoreOffset ?? 0;
  const n = boxes.length / 4;
  const candidates: number[] = [];
  for (let i = 0; i < n; i++) if (scores[offset + i * stride] > scoreThreshold) candidates.push(i);
  candidates.sort((a, b) => scores[offset + b * stride] - scores[offset + a * stride] || a - b);
  const kept: number[] = [];
  for (const i of candidates) {
    if (kept.length >= maxOutput) break;
    let suppressed = false;
    for (const j of kept) {
      if (iou(boxes, i, j) > iouThreshold) {
        suppressed = true;
        break;
      }
    }
    if (!suppressed) kept.push(i);
  }
  return kept;
}

function iou(b: Float32Array, i: number, j: number): number {
  // Corners may come in either order (as TF normalises them): take min / max per axis.
  const ix1 = Math.min(b[4 * i], b[4 * i + 2]);
  const iy1 = Math.min(b[4 * i + 1], b[4 * i + 3]);
  const ix2 = Math.max(b[4 * i], b[4 * i + 2]);
  const iy2 = Math.max(b[4 * i + 1], b[4 * i + 3]);
  const jx1 = Math.min(b[4 * j], b[4 * j + 2]);
  const jy1 = Math.min(b[4 * j + 1], b[4 * j + 3]);
  const jx2 = Math.max(b[4 * j], b[4 * j + 2]);
  const jy2 = Math.max(b[4 * j + 1], b[4 * j + 3]);
  const areaI = (ix2 - ix1) * (iy2 - iy1);
  const areaJ = (jx2 - jx1) * (jy2 - jy1);
  if (areaI <= 0 || areaJ <= 0) return 0;
  const w = Math.max(0, Math.min(ix2, jx2) - Math.max(ix1, jx1));
  const h = Math.max(0, Math.min(iy2, jy2) - Math.max(iy1, jy1));
  const inter = w * h;
  return inter / (areaI + areaJ - inter);
}
