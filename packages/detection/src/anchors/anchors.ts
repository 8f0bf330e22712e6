/**
 * RetinaNet anchors (Lin et al., "Focal Loss for Dense Object Detection", ICCV 2017, sec. 4 "Anchors"; keras-io
 * examples/vision/retinanet.py `AnchorBox`): pyramid levels P3..P7 with strides 2^3..2^7 and base areas
 * 32^2..512^2, three aspect ratios (width / height = 0.5, 1, 2) and three scales (2^0, 2^(1/3), 2^(2/3)), so nine
 * anchors per feature-map cell.
 */

/** Pyramid levels of RetinaNet's FPN. */
export const ANCHOR_LEVELS: readonly number[] = [3, 4, 5, 6, 7];
/** Stride of each level, 2^level. */
export const ANCHOR_STRIDES: readonly number[] = ANCHOR_LEVELS.map((l) => 2 ** l);
/** Base anchor side of each level (area = side^2). */
export const ANCHOR_SIZES: readonly number[] = [32, 64, 128, 256, 512];
/** Aspect ratios width / height, in the order the anchors of a cell are laid out (outer loop). */
export const ANCHOR_ASPECT_RATIOS: readonly number[] = [0.5, 1, 2];
/** Scales of the base size, in the order the anchors of a cell are laid out (inner loop). */
export const ANCHOR_SCALES: readonly number[] = [0, 1 / 3, 2 / 3].map((e) => 2 ** e);
/** Anchors per feature-map cell: ratios x scales. */
export const ANCHORS_PER_CELL = ANCHOR_ASPECT_RATIOS.length * ANCHOR_SCALES.length;

function checkSide(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${String(value)}`);
}

/** Feature-map size of each level for an input of `height x width`: ceil(side / stride), as keras-io computes it. */
export function featureMapSizes(height: number, width: number): Array<[number, number]> {
  checkSide(height, 'height');
  checkSide(width, 'width');
  return ANCHOR_STRIDES.map((s) => [Math.ceil(height / s), Math.ceil(width / s)]);
}

/** Number of anchors for an input of `height x width` (76,725 at 640 x 640). */
export function anchorCount(height: number, width: number): number {
  return featureMapSizes(height, width).reduce((n, [h, w]) => n + h * w * ANCHORS_PER_CELL, 0);
}

/**
 * The nine anchor [width, height] pairs of one level: for each aspect ratio r, height = sqrt(area / r) and
 * width = area / height (so width / height = r), then each scaled by the three scales.
 */
function cellDims(size: number): Float64Array {
  const area = size * size;
  const dims = new Float64Array(ANCHORS_PER_CELL * 2);
  let k = 0;
  for (const ratio of ANCHOR_ASPECT_RATIOS) {
    const h = Math.sqrt(area / ratio);
    const w = area / h;
    for (const scale of ANCHOR_SCALES) {
      dims[k++] = w * scale;
      dims[k++] = h * scale;
    }
  }
  return dims;
}

/**
 * All anchors of an input of `height x width`, as centre boxes `[cx, cy, w, h]` in input pixels, 4 numbers per
 * anchor. Order: level P3 first; within a level row-major over cells (y, then x); within a cell ratio-major then
 * scale. Cell (x, y) of a level with stride s is centred at ((x + 0.5) s, (y + 0.5) s). This is the order the
 * model's outputs use (see `buildRetinaNet`).
 */
export function generateAnchors(height: number, width: number): Float32Array {
  const sizes = featureMapSizes(height, width);
  const out = new Float32Array(anchorCount(height, width) * 4);
  let k = 0;
  sizes.forEach(([fh, fw], level) => {
    const stride = ANCHOR_STRIDES[level];
    const dims = cellDims(ANCHOR_SIZES[level]);
    for (let y = 0; y < fh; y++) {
      const cy = (y + 0.5) * stride;
      for (let x = 0; x < fw; x++) {
        const cx = (x + 0.5) * stride;
        for (let a = 0; a < ANCHORS_PER_CELL; a++) {
          out[k++] = cx;
          out[k++] = cy;
          out[k++] = dims[2 * a];
          out[k++] = dims[2 * a + 1];
        }
      }
    }
  });
  return out;
}
