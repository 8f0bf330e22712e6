import { checkBoxes } from './iou.js';

/**
 * Scales of the box regression targets (keras-io `box_variance`, the "variances" of SSD / Detectron): the targets
 * are divided by them so that the four coordinates have similar ranges.
 */
export const BOX_VARIANCE: readonly [number, number, number, number] = [0.1, 0.1, 0.2, 0.2];

/**
 * Regression target of one ground-truth box against one anchor (Girshick, Fast R-CNN 2015, eq. for t_x..t_h;
 * keras-io `_compute_box_target`): `[(gx - ax) / aw, (gy - ay) / ah, ln(gw / aw), ln(gh / ah)] / BOX_VARIANCE`.
 * `gt` holds corners `[x1, y1, x2, y2]`, `anchors` centre boxes; both at index `g` / `a` (in boxes). Writes into
 * `out` at box index `o`.
 */
export function encodeBox(gt: Float32Array, g: number, anchors: Float32Array, a: number, out: Float32Array, o: number): void {
  const gw = gt[4 * g + 2] - gt[4 * g];
  const gh = gt[4 * g + 3] - gt[4 * g + 1];
  const gx = gt[4 * g] + gw / 2;
  const gy = gt[4 * g + 1] + gh / 2;
  const [ax, ay, aw, ah] = [anchors[4 * a], anchors[4 * a + 1], anchors[4 * a + 2], anchors[4 * a + 3]];
  out[4 * o] = (gx - ax) / aw / BOX_VARIANCE[0];
  out[4 * o + 1] = (gy - ay) / ah / BOX_VARIANCE[1];
  out[4 * o + 2] = Math.log(gw / aw) / BOX_VARIANCE[2];
  out[4 * o + 3] = Math.log(gh / ah) / BOX_VARIANCE[3];
}

/**
 * Inverse of {@link encodeBox} for every anchor: regression outputs `deltas` (4 per anchor) and centre-form
 * `anchors` to corner boxes `[x1, y1, x2, y2]` in input pixels (keras-io `DecodePredictions._decode_box_predictions`).
 */
export function decodeBoxes(deltas: Float32Array, anchors: Float32Array): Float32Array {
  checkBoxes(deltas, 'deltas');
  checkBoxes(anchors, 'anchors');
  if (deltas.length !== anchors.length) {
    throw new RangeError(`deltas has ${deltas.length / 4} boxes but anchors has ${anchors.length / 4}`);
  }
  const out = new Float32Array(deltas.length);
  for (let i = 0; i < deltas.length; i += 4) {
    const aw = anchors[i + 2];
    const ah = anchors[i + 3];
    const cx = deltas[i] * BOX_VARIANCE[0] * aw + anchors[i];
    const cy = deltas[i + 1] * BOX_VARIANCE[1] * ah + anchors[i + 1];
    const w = Math.exp(deltas[i + 2] * BOX_VARIANCE[2]) * aw;
    const h = Math.exp(deltas[i + 3] * BOX_VARIANCE[3]) * ah;
    out[i] = cx - w / 2;
    out[i + 1] = cy - h / 2;
    out[i + 2] = cx + w / 2;
    out[i + 3] = cy + h / 2;
  }
  return out;
}
