import type { RgbImage } from './decode.js';

/**
 * Bilinear resize of an RGB image with half-pixel centres (source coordinate = (dst + 0.5) * in/out - 0.5,
 * clamped), the convention of `tf.image.resizeBilinear(..., halfPixelCenters=true)` and OpenCV/PIL. Written in
 * plain JS so both decoders produce identical resized pixels.
 */
export function resizeBilinear(image: RgbImage, width: number, height: number): RgbImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new RangeError(`resizeBilinear: size must be positive integers, got ${width}x${height}`);
  }
  const { data: src, width: sw, height: sh } = image;
  if (sw === width && sh === height) return { data: src.slice(), width, height };
  const out = new Uint8Array(width * height * 3);
  const sx = sw / width;
  const sy = sh / height;
  const xa = new Int32Array(width);
  const xb = new Int32Array(width);
  const wxs = new Float32Array(width);
  for (let x = 0; x < width; x++) {
    const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), sw - 1);
    const x0 = Math.floor(fx);
    xa[x] = x0 * 3;
    xb[x] = Math.min(x0 + 1, sw - 1) * 3;
    wxs[x] = fx - x0;
  }
  // Separable: interpolate each needed source row horizontally once (cached, two rows live), then blend rows.
  const rowLen = width * 3;
  let rowA = new Float32Array(rowLen);
  let rowB = new Float32Array(rowLen);
  let rowAIndex = -1;
  let rowBIndex = -1;
  const horizontal = (sourceRow: number, into: Float32Array) => {
    const r = sourceRow * sw * 3;
    for (let x = 0, o = 0; x < width; x++, o += 3) {
      const a = r + xa[x];
      const b = r + xb[x];
      const wx = wxs[x];
      into[o] = src[a] + (src[b] - src[a]) * wx;
      into[o + 1] = src[a + 1] + (src[b + 1] - src[a + 1]) * wx;
      into[o + 2] = src[a + 2] + (src[b + 2] - src[a + 2]) * wx;
    }
  };
  for (let y = 0; y < height; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), sh - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, sh - 1);
    const wy = fy - y0;
    if (rowAIndex !== y0) {
      if (rowBIndex === y0) {
        [rowA, rowB] = [rowB, rowA];
        rowAIndex = y0;
        rowBIndex = -1;
      } else {
        horizontal(y0, rowA);
        rowAIndex = y0;
      }
    }
    if (rowBIndex !== y1) {
      horizontal(y1, rowB);
      rowBIndex = y1;
    }
    const o = y * rowLen;
    // Values are in [0, 255], so adding 0.5 and truncating rounds half up, like Math.round.
    for (let i = 0; i < rowLen; i++) out[o + i] = (rowA[i] + (rowB[i] - rowA[i]) * wy + 0.5) | 0;
  }
  return { data: out, width, height };
}
