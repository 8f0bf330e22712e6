/**
 * Intersection over union of every box of `a` with every box of `b`, both as corners `[x1, y1, x2, y2]` (4 numbers
 * per box). Returns a row-major `a.length/4 x b.length/4` matrix. One pass over flat typed arrays (keras-io's
 * `compute_iou` does the same with broadcast tensor ops); a box of zero area has IoU 0 with everything.
 */
export function iouMatrix(a: Float32Array, b: Float32Array): Float32Array {
  checkBoxes(a, 'a');
  checkBoxes(b, 'b');
  const n = a.length / 4;
  const m = b.length / 4;
  const out = new Float32Array(n * m);
  const areaB = new Float64Array(m);
  for (let j = 0; j < m; j++) areaB[j] = Math.max(0, b[4 * j + 2] - b[4 * j]) * Math.max(0, b[4 * j + 3] - b[4 * j + 1]);
  for (let i = 0; i < n; i++) {
    const ax1 = a[4 * i];
    const ay1 = a[4 * i + 1];
    const ax2 = a[4 * i + 2];
    const ay2 = a[4 * i + 3];
    const areaA = Math.max(0, ax2 - ax1) * Math.max(0, ay2 - ay1);
    const row = i * m;
    for (let j = 0; j < m; j++) {
      const iw = Math.min(ax2, b[4 * j + 2]) - Math.max(ax1, b[4 * j]);
      const ih = Math.min(ay2, b[4 * j + 3]) - Math.max(ay1, b[4 * j + 1]);
      if (iw <= 0 || ih <= 0) continue;
      const inter = iw * ih;
      const union = areaA + areaB[j] - inter;
      out[row + j] = union > 0 ? inter / union : 0;
    }
  }
  return out;
}

/** Throws unless `boxes` is a Float32Array of whole boxes (4 numbers each). */
export function checkBoxes(boxes: Float32Array, name: string): void {
  if (!(boxes instanceof Float32Array) || boxes.length % 4 !== 0) {
    throw new TypeError(`${name} must be a Float32Array of 4 numbers per box, got length ${String((boxes as { length?: number })?.length)}`);
  }
}

/** Centre boxes `[cx, cy, w, h]` to corners `[x1, y1, x2, y2]`, 4 numbers per box. */
export function centerToCorners(boxes: Float32Array): Float32Array {
  checkBoxes(boxes, 'boxes');
  const out = new Float32Array(boxes.length);
  for (let i = 0; i < boxes.length; i += 4) {
    const hw = boxes[i + 2] / 2;
    const hh = boxes[i + 3] / 2;
    out[i] = boxes[i] - hw;
    out[i + 1] = boxes[i + 1] - hh;
    out[i + 2] = boxes[i] + hw;
    out[i + 3] = boxes[i + 1] + hh;
  }
  return out;
}
