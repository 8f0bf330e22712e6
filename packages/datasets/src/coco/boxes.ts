/**
 * Box formats. COCO stores `[x, y, width, height]` with (x, y) the top-left corner, in pixels; detection code
 * usually wants corners `[x1, y1, x2, y2]` (x2 = x + width). Both are in pixels here, never normalised.
 */

/** `[x, y, w, h]` (COCO) to corners `[x1, y1, x2, y2]`. */
export function xywhToCorners(box: readonly number[]): [number, number, number, number] {
  return [box[0], box[1], box[0] + box[2], box[1] + box[3]];
}

/** Corners `[x1, y1, x2, y2]` to `[x, y, w, h]` (COCO). */
export function cornersToXywh(box: readonly number[]): [number, number, number, number] {
  return [box[0], box[1], box[2] - box[0], box[3] - box[1]];
}
