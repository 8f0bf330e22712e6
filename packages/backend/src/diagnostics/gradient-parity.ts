/**
 * How far one backend's gradients are from another's (say webgpu's from the cpu backend's) for a whole network:
 * the worst |actual - reference| over all weights, each weight's error relative to that weight's own largest
 * reference magnitude, floored at `floor` times the largest magnitude in the whole network.
 *
 * The floor matters: the bias of a convolution followed by BatchNorm has an exact gradient of 0 (BN subtracts the
 * batch mean), so what any backend returns there is float32 rounding and must not be read as a relative error of its
 * own (ResNet-50's conv1 bias: wasm differs from cpu by 1.1e-2 of 1e-3, webgpu by 7.4e-3).
 */
export function worstGradientError(reference: readonly Float32Array[], actual: readonly Float32Array[], floor = 1e-2): number {
  if (reference.length !== actual.length) {
    throw new RangeError(`actual must hold one gradient per reference gradient (${reference.length}), got ${actual.length}`);
  }
  let netMax = 0;
  for (const e of reference) for (let j = 0; j < e.length; j++) netMax = Math.max(netMax, Math.abs(e[j]));
  let worst = 0;
  actual.forEach((g, i) => {
    const e = reference[i];
    if (g.length !== e.length) throw new RangeError(`gradient ${i} has ${g.length} values, the reference ${e.length}`);
    let scale = floor * netMax;
    for (let j = 0; j < e.length; j++) scale = Math.max(scale, Math.abs(e[j]));
    for (let j = 0; j < e.length; j++) worst = Math.max(worst, scale === 0 ? Math.abs(g[j]) : Math.abs(g[j] - e[j]) / scale);
  });
  return worst;
}
