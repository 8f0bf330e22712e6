/**
 * Box IoU as pycocotools computes it for `iouType='bbox'` (`bbIou` in common/maskApi.c), operation for operation
 * so that the doubles are identical: boxes are `[x, y, w, h]`; intersection width `min(x+w) - max(x)` (0 when
 * <= 0), likewise height; the union is `dArea + gArea - inter`, or the detection's own area `w * h` when the
 * ground truth is a crowd region (a detection inside a crowd scores 1 however large the crowd box is).
 */

/**
 * Fills `out[d * gtCount + g]` with the IoU of detection `dtIndex[d]` and ground truth `gtIndex[g]`.
 * `dtBox`/`gtBox` hold 4 numbers per record; `crowd[gtIndex[g]]` marks crowd regions.
 */
export function boxIouMatrix(
  dtBox: Float64Array,
  dtIndex: Int32Array,
  dtCount: number,
  gtBox: Float64Array,
  gtIndex: Int32Array,
  gtCount: number,
  crowd: Uint8Array,
  out: Float64Array,
): void {
  for (let g = 0; g < gtCount; g++) {
    const go = gtIndex[g] * 4;
    const gx = gtBox[go];
    const gy = gtBox[go + 1];
    const gw = gtBox[go + 2];
    const gh = gtBox[go + 3];
    const gArea = gw * gh;
    const isCrowd = crowd[gtIndex[g]] !== 0;
    for (let d = 0; d < dtCount; d++) {
      const o = dtIndex[d] * 4;
      const dx = dtBox[o];
      const dy = dtBox[o + 1];
      const dw = dtBox[o + 2];
      const dh = dtBox[o + 3];
      let iou = 0;
      const w = Math.min(dw + dx, gw + gx) - Math.max(dx, gx);
      if (w > 0) {
        const h = Math.min(dh + dy, gh + gy) - Math.max(dy, gy);
        if (h > 0) {
          const inter = w * h;
          const dArea = dw * dh;
          iou = inter / (isCrowd ? dArea : dArea + gArea - inter);
        }
      }
      out[d * gtCount + g] = iou;
    }
  }
}

/** IoU of two `[x, y, w, h]` boxes (the second a crowd region when `crowd`), by the same arithmetic. */
export function boxIou(dt: readonly number[], gt: readonly number[], crowd = false): number {
  const out = new Float64Array(1);
  boxIouMatrix(Float64Array.from(dt), Int32Array.of(0), 1, Float64Array.from(gt), Int32Array.of(0), 1, Uint8Array.of(crowd ? 1 : 0), out);
  return out[0];
}
