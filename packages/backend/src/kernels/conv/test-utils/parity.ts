/** Helpers for the gradient parity tests: seeded data, and tf.grads of a conv evaluated on one backend. */
import * as tf from '@tensorflow/tfjs';

/** Mulberry32: a tiny seeded PRNG so every run compares the same random tensors. */
export function seededValues(seed: number, size: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

export interface GradResult {
  dx: Float32Array;
  dw: Float32Array;
  dxShape: number[];
  dwShape: number[];
}

/**
 * Gradients of L = sum(conv(x, w) * r) with respect to x and w on `backend`, where r is a fixed random tensor (so dy
 * is not all ones and every output position is weighted differently). `filter` overrides the seeded filter values.
 */
export async function convGrads(
  backend: string,
  xShape: number[],
  wShape: number[],
  conv: (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor4D,
  seed: number,
  filter?: tf.Tensor4D,
): Promise<GradResult> {
  await tf.setBackend(backend);
  const x = tf.tensor4d(seededValues(seed, xShape.reduce((a, b) => a * b, 1)), xShape as [number, number, number, number]);
  const w = filter ? filter.clone() : tf.tensor4d(seededValues(seed + 1, wShape.reduce((a, b) => a * b, 1)), wShape as [number, number, number, number]);
  const yShape = tf.tidy(() => conv(x, w).shape);
  const r = tf.tensor(seededValues(seed + 2, yShape.reduce((a, b) => a * b, 1)), yShape);
  const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(conv(a as tf.Tensor4D, b as tf.Tensor4D), r)))([x, w]);
  const result: GradResult = {
    dx: (await dx.data()) as Float32Array,
    dw: (await dw.data()) as Float32Array,
    dxShape: dx.shape,
    dwShape: dw.shape,
  };
  tf.dispose([x, w, r, dx, dw]);
  return result;
}

/** max |a - b| / max |b|: the error relative to the reference's scale (per-element ratios blow up near zero). */
export function relativeError(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return scale === 0 ? diff : diff / scale;
}

/**
 * How many positions hold a non-zero value in `a` where the reference `b` is exactly 0. An exact 0 in the cpu
 * reference is an empty sum (no filter tap reaches that position); the wasm kernels must write 0 there too.
 * {@link relativeError} cannot see a stray value of 1e-40 (uninitialised heap memory read as float32).
 */
export function nonZerosWhereZero(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let count = 0;
  for (let i = 0; i < a.length; i++) if (b[i] === 0 && a[i] !== 0) count++;
  return count;
}

/** Seeded integers in [lo, hi], one per call of the returned function (from {@link seededValues}). */
export function seededInts(seed: number, count: number): (lo: number, hi: number) => number {
  const u = seededValues(seed, count);
  let next = 0;
  return (lo, hi) => {
    if (next >= u.length) throw new RangeError(`seededInts: more than count ${count} draws`);
    return lo + Math.min(hi - lo, Math.floor(((u[next++] + 1) / 2) * (hi - lo + 1)));
  };
}
