/**
 * Dimension-generic DropBlock math. The 2D and 3D public functions (gamma.ts, expected-drop.ts) are thin
 * wrappers over these, so both follow exactly the same formulas.
 */

/**
 * The block clipped to the map along each axis: k_d = min(blockSize, L_d). Clipping is what makes
 * "block >= map" degrade to SpatialDropout (a single valid seed position that covers the whole map).
 */
export function clippedBlock(sizes: readonly number[], blockSize: number): number[] {
  return sizes.map((l) => Math.min(blockSize, l));
}

/**
 * Seed rate gamma (Ghiasi et al. 2018, Sec. 3, Eq. 1), generalised to rectangular maps and any number of
 * spatial axes: gamma = (1 - keepProb) * prod(L_d) / (prod(k_d) * prod(L_d - k_d + 1)).
 * Each seed drops prod(k_d) units and seeds live only in the valid region of prod(L_d - k_d + 1) positions, so
 * (ignoring block overlap) the dropped fraction is 1 - keepProb.
 * Since k (L - k + 1) - L = (k - 1)(L - k) >= 0 for 1 <= k <= L, each axis factor L / (k (L - k + 1)) is <= 1,
 * hence gamma <= 1 - keepProb <= 1 always: no clamping is needed.
 */
export function gammaNd(keepProb: number, sizes: readonly number[], blockSize: number): number {
  const k = clippedBlock(sizes, blockSize);
  let num = 1 - keepProb;
  let den = 1;
  for (let d = 0; d < sizes.length; d++) {
    num *= sizes[d];
    den *= k[d] * (sizes[d] - k[d] + 1);
  }
  return num / den;
}

/**
 * How many valid seed positions along one axis of length `l` put a block of length `k` over coordinate `u`:
 * seeds s in [0, l - k] with s <= u <= s + k - 1, i.e. min(u, l - k) - max(0, u - k + 1) + 1.
 */
export function coverCount(u: number, l: number, k: number): number {
  return Math.min(u, l - k) - Math.max(0, u - k + 1) + 1;
}

/**
 * Exact expected dropped fraction: mean over units u of 1 - (1 - gamma)^n(u), with n(u) the number of valid
 * seeds whose block covers u. Seeds are independent Bernoulli(gamma), and u survives iff none of its n(u)
 * covering seeds fires. n(u) factorises over axes (the seed region is a box), so the mean is computed from a
 * histogram of per-axis cover counts: O(sum L_d + prod(distinct counts)) instead of O(prod L_d).
 */
export function expectedDropFractionNd(keepProb: number, sizes: readonly number[], blockSize: number): number {
  const gamma = gammaNd(keepProb, sizes, blockSize);
  const k = clippedBlock(sizes, blockSize);
  // Per axis: map cover count -> number of coordinates with that count.
  const hists = sizes.map((l, d) => {
    const h = new Map<number, number>();
    for (let u = 0; u < l; u++) {
      const c = coverCount(u, l, k[d]);
      h.set(c, (h.get(c) ?? 0) + 1);
    }
    return [...h.entries()];
  });
  const total = sizes.reduce((a, b) => a * b, 1);
  const log1mg = Math.log1p(-gamma);
  let keptSum = 0;
  const walk = (d: number, n: number, weight: number): void => {
    if (d === hists.length) {
      keptSum += weight * (gamma >= 1 ? 0 : Math.exp(n * log1mg));
      return;
    }
    for (const [c, count] of hists[d]) walk(d + 1, n * c, weight * count);
  };
  walk(0, 1, 1);
  return 1 - keptSum / total;
}
