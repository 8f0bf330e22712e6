/**
 * The column sums used by the fast reductions and the BatchNorm gradient, and replacing a wasm kernel while
 * keeping its setup.
 *
 * Why column sums in JS: the wasm backend's Sum / Mean reduce innermost axes only; to reduce the leading axes of
 * an NHWC tensor (per-channel sums: BatchNorm statistics, bias gradients, broadcast gradients) they first transpose
 * the whole tensor: ~24 ms for [64, 32, 32, 32] here. A GEMM ones[1, R] x X[R, C] is ~1 ms when X is reused but
 * 14-35 ms for a fresh X (XNNPACK packs the right-hand matrix as weights on every new tensor), and X^T x ones
 * 3-7 ms. A plain JS loop over the heap is ~1.7 ms and accumulates in float64.
 */
import {
  getKernel,
  registerKernel,
  unregisterKernel,
  type KernelConfig,
  type KernelFunc,
} from '@tensorflow/tfjs-core';

/**
 * Column sums of a float32 [rows, cols] array in float64 (as the cpu backend's Sum accumulates in a JS number).
 * Four rows are added per accumulator update: it halves the load / store traffic on the accumulators, which is
 * what bounds this loop (measured 1.7 ms vs 4.3 ms one row at a time for 2M values).
 */
export function columnSums(x: Float32Array, rows: number, cols: number): Float64Array {
  const acc = new Float64Array(cols);
  let row = 0;
  for (; row + 4 <= rows; row += 4) {
    const b0 = row * cols;
    const b1 = b0 + cols;
    const b2 = b1 + cols;
    const b3 = b2 + cols;
    for (let c = 0; c < cols; c++) acc[c] += x[b0 + c] + x[b1 + c] + (x[b2 + c] + x[b3 + c]);
  }
  for (; row < rows; row++) {
    const b = row * cols;
    for (let c = 0; c < cols; c++) acc[c] += x[b + c];
  }
  return acc;
}

/**
 * Per-column sum(dy) and sum(dy * (x - mean)) of float32 [rows, cols] arrays in one pass, float64 accumulation,
 * four rows per accumulator update (see {@link columnSums}).
 */
export function columnSumsCentered(
  dy: Float32Array,
  x: Float32Array,
  mean: Float32Array,
  rows: number,
  cols: number,
): [Float64Array, Float64Array] {
  const sDy = new Float64Array(cols);
  const sDyXc = new Float64Array(cols);
  let row = 0;
  for (; row + 4 <= rows; row += 4) {
    const b0 = row * cols;
    const b1 = b0 + cols;
    const b2 = b1 + cols;
    const b3 = b2 + cols;
    for (let c = 0; c < cols; c++) {
      const m = mean[c];
      const d0 = dy[b0 + c];
      const d1 = dy[b1 + c];
      const d2 = dy[b2 + c];
      const d3 = dy[b3 + c];
      sDy[c] += d0 + d1 + (d2 + d3);
      sDyXc[c] += d0 * (x[b0 + c] - m) + d1 * (x[b1 + c] - m) + (d2 * (x[b2 + c] - m) + d3 * (x[b3 + c] - m));
    }
  }
  for (; row < rows; row++) {
    const b = row * cols;
    for (let c = 0; c < cols; c++) {
      const d = dy[b + c];
      sDy[c] += d;
      sDyXc[c] += d * (x[b + c] - mean[c]);
    }
  }
  return [sDy, sDyXc];
}

/**
 * Replaces the wasm kernel `kernelName` with `make(original)`, keeping the original's setupFunc / disposeFunc (the
 * wasm kernels bind their C functions in setupFunc, run when the backend initialises; dropping it would leave the
 * original, which we fall back to, unbound). Idempotent via `marker`.
 */
export function overrideWasmKernel(kernelName: string, marker: symbol, make: (original: KernelFunc) => KernelFunc): void {
  const original = getKernel(kernelName, 'wasm');
  if (original == null) throw new Error(`@db/backend: the wasm backend has no '${kernelName}' kernel to override`);
  if ((original.kernelFunc as unknown as Record<symbol, boolean>)[marker]) return;
  const kernelFunc = make(original.kernelFunc);
  (kernelFunc as unknown as Record<symbol, boolean>)[marker] = true;
  const config: KernelConfig = { ...original, kernelFunc };
  unregisterKernel(kernelName, 'wasm');
  registerKernel(config);
}
