/** Mean and standard error of the mean of per-trial values (for tolerance-from-trial-count assertions). */
export function meanAndStandardError(values: ArrayLike<number>): { mean: number; se: number } {
  const n = values.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += values[i];
  const mean = s / n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (values[i] - mean) ** 2;
  return { mean, se: Math.sqrt(v / (n - 1) / n) };
}

/**
 * Checks that in each [height, width] plane (row-major, planes consecutive) every dropped unit (0) lies in some
 * kh x kw block that starts in the valid region and is entirely dropped: i.e. the dropped set is a union of
 * whole blocks inside the map. Returns the number of offending units (0 when the property holds).
 */
export function unitsNotInWholeBlock(
  keep: ArrayLike<number>,
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
    for (let i = 0; i + kh <= height; i++) {
      for (let j = 0; j + kw <= width; j++) {
        let whole = true;
        for (let a = 0; a < kh && whole; a++) {
          for (let b = 0; b < kw; b++) {
            if (keep[base + (i + a) * width + j + b] !== 0) {
              whole = false;
              break;
            }
          }
        }
        if (!whole) continue;
        for (let a = 0; a < kh; a++) for (let b = 0; b < kw; b++) covered[(i + a) * width + j + b] = 1;
      }
    }
    for (let u = 0; u < height * width; u++) if (keep[base + u] === 0 && !covered[u]) bad++;
  }
  return bad;
}
