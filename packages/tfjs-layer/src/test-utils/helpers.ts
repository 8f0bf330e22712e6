/** Test helpers shared by the op and layer tests. */

/** Mean and standard error of per-trial values. */
export function meanAndStandardError(values: ArrayLike<number>): { mean: number; se: number } {
  const n = values.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += values[i];
  const mean = s / n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (values[i] - mean) ** 2;
  return { mean, se: Math.sqrt(v / (n - 1) / n) };
}

/** Per-plane dropped fractions of channelsFirst data (0 = dropped). */
export function planeDropFractions(data: ArrayLike<number>, planeSize: number): Float64Array {
  const out = new Float64Array(data.length / planeSize);
  for (let p = 0; p < out.length; p++) {
    let dropped = 0;
    for (let u = 0; u < planeSize; u++) if (data[p * planeSize + u] === 0) dropped++;
    out[p] = dropped / planeSize;
  }
  return out;
}

/**
 * Number of dropped units (value 0) of channelsFirst planes that are not inside some whole dropped kh x kw block
 * starting in the valid region: 0 iff the dropped set is a union of whole blocks inside the map.
 */
export function unitsNotInWholeBlock(
  data: ArrayLike<number>,
  planes: number,
  height: number,
  width: number,
  kh: number,
  kw: number,
): number {
  let bad = 0;
  for (let p = 0; p < planes; p++) {
    const base = p * height * width;
    const covered = new Uint8Array(height * width);
    for (let i = 0; i + kh <= height; i++)
      for (let j = 0; j + kw <= width; j++) {
        let whole = true;
        for (let a = 0; a < kh && whole; a++)
          for (let b = 0; b < kw; b++)
            if (data[base + (i + a) * width + j + b] !== 0) {
              whole = false;
              break;
            }
        if (whole) for (let a = 0; a < kh; a++) for (let b = 0; b < kw; b++) covered[(i + a) * width + j + b] = 1;
      }
    for (let u = 0; u < height * width; u++) if (data[base + u] === 0 && !covered[u]) bad++;
  }
  return bad;
}

/** Converts a 0/1-or-scaled array to 0/1 (nonzero = kept). */
export function keptPattern(data: ArrayLike<number>): Float32Array {
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i] !== 0 ? 1 : 0;
  return out;
}

/** count / count_ones of a 0/1 mask (the DropBlock rescale). */
export function rescaleOf(mask: ArrayLike<number>): number {
  let ones = 0;
  for (let i = 0; i < mask.length; i++) ones += mask[i];
  return mask.length / ones;
}

/** Sum in float64 (tf.sum accumulates in float32, whose rounding would swamp a 1e-5 relative check). */
export function sum64(data: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < data.length; i++) s += data[i];
  return s;
}

/** Maximum of an array. */
export function max64(data: ArrayLike<number>): number {
  let m = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < data.length; i++) if (data[i] > m) m = data[i];
  return m;
}
