/**
 * Conv2DBackpropFilter for the wasm backend (missing upstream: tensorflow/tfjs#8474).
 *
 * Forward NHWC conv: y[n, o, co] = sum_{k, ci} x[n, o*s + k*d - p, ci] * w[k, ci, co] (one spatial axis shown), so
 * dw[k, ci, co] = sum_{n, o} x[n, k*d + o*s - p, ci] * dy[n, o, co].
 * Read with ci as the batch, k as the output position, o as the filter tap and n as the input channel, that is a
 * forward convolution of x' = x transposed to [Ci, H, W, N] with the "filter" dy' = dy transposed to [Ho, Wo, N, Co],
 * using stride d and dilation s (the forward stride and dilation swap roles). Its output [Ci, KH', KW', Co] (KH' >= KH
 * when the forward conv ignored trailing input rows) is cropped and transposed to [KH, KW, Ci, Co]. The reduction over
 * the batch and all output positions then runs inside XNNPACK's GEMM (issue #3 measured ~15.6 GFLOP/s for this
 * formulation; the cpu backend's loop took 28 s for one 16x32x32x32 3x3 gradient). dy's rows are split into groups
 * to keep each GEMM's reduction cache-sized (see below).
 *
 * A 1x1, stride-1, unpadded conv is a matrix product: dw = x^T dy with x as [N*H*W, Ci]; that skips dy's transpose.
 *
 * These XNNPACK routes are the fallback: where the backend's memory is reachable (always under Node), our own SIMD
 * kernel runs instead (simd_filter_grad.ts), because XNNPACK packs its weights operand on every call and here
 * both operands are activation-sized.
 */
import {
  backend_util,
  type Conv2DBackpropFilterAttrs,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import {
  alias,
  allocate,
  conv2dForward,
  heapIndex,
  release,
  releaseView,
  runWasmKernel,
  view,
  type WasmBackend,
} from './wasm_backend.js';
import { simdWeightGrad } from './simd_filter_grad.js';

let stridedPointwise = true;

/** Switches the gathered-pixel path of strided 1x1 weight gradients (on by default); for before/after tables. */
export function setStridedPointwiseFilterGradEnabled(on: boolean): void {
  stridedPointwise = on;
}

/** dw = conv2DBackpropFilter(x, dy). `fallback` (if any) handles NCHW data. */
export function makeConv2DBackpropFilter(fallback: KernelFunc | null): KernelFunc {
  return (args) => {
    const backend = args.backend as WasmBackend;
    const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
    const attrs = args.attrs as unknown as Conv2DBackpropFilterAttrs & { dilations?: number | [number, number] };
    const dataFormat = backend_util.convertConv2DDataFormat(attrs.dataFormat);
    if (dataFormat !== 'channelsLast' || x.dtype !== 'float32' || dy.dtype !== 'float32') {
      if (fallback == null) {
        throw new Error(`@db/backend: Conv2DBackpropFilter on wasm supports NHWC float32 only (got dataFormat '${attrs.dataFormat}')`);
      }
      return fallback(args);
    }
    const info = backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      attrs.filterShape,
      attrs.strides,
      attrs.dilations ?? 1,
      attrs.pad,
      attrs.dimRoundingMode,
      false,
      'channelsLast',
    );
    return weightGradNHWC(backend, x, dy, info);
  };
}

/** Shared by the regular kernel; `info` is the forward conv's geometry. Returns [KH, KW, Ci, Co]. */
export function weightGradNHWC(
  backend: WasmBackend,
  x: TensorInfo,
  dy: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo {
  const [n, h, w, ci] = x.shape;
  const [, ho, wo, co] = dy.shape;
  const m = n * h * w;
  const kh = info.filterHeight;
  const kw = info.filterWidth;
  const { top, left } = info.padInfo;

  // Our SIMD kernel, wherever it can run (see simd_filter_grad.ts); the XNNPACK routes below are the fallback.
  const simd = simdWeightGrad(backend, x, dy, info);
  if (simd != null) return simd;

  if (kh === 1 && kw === 1 && info.strideHeight === 1 && info.strideWidth === 1 && top === 0 && left === 0 && ho === h && wo === w) {
    // dw[ci, co] = sum_m x[m, ci] dy[m, co]: XNNPACK's fully-connected path takes A = x^T [Ci, M], B = dy [M, Co].
    const xT = runWasmKernel(backend, 'Transpose', { x: alias(x, [m, ci]) }, { perm: [1, 0] });
    const prod = runWasmKernel(
      backend,
      'BatchMatMul',
      { a: alias(xT, [1, ci, m]), b: alias(dy, [1, m, co]) },
      { transposeA: false, transposeB: false },
    );
    release(backend, xT);
    return alias(prod, [1, 1, ci, co]);
  }
  if (stridedPointwise && kh === 1 && kw === 1 && top === 0 && left === 0 && (ho - 1) * info.strideHeight < h && (wo - 1) * info.strideWidth < w) {
    // A strided 1x1 conv (ResNet's projection shortcuts) reads x only at (o_h * s_h, o_w * s_w):
    // dw[ci, co] = sum_{n, o} x[n, o*s, ci] dy[n, o, co], one GEMM over the sampled pixels. Gathering them straight
    // into A = [Ci, N*Ho*Wo] costs one pass over a quarter of x; the transposed-conv route below would run a
    // dilated conv over all of x (measured 5-9x the forward conv's time on ResNet-50's shapes). Bottom / right
    // padding that adds output positions reading only zeros is left to the general route.
    const mo = n * ho * wo;
    const xT = allocate(backend, [ci, mo]);
    const heap = backend.wasm.HEAPF32;
    const src = heapIndex(backend, x);
    const dst = heapIndex(backend, xT);
    let p = 0;
    for (let b = 0; b < n; b++) {
      for (let oh = 0; oh < ho; oh++) {
        for (let ow = 0; ow < wo; ow++, p++) {
          const from = src + ((b * h + oh * info.strideHeight) * w + ow * info.strideWidth) * ci;
          let to = dst + p;
          for (let k = 0; k < ci; k++, to += mo) heap[to] = heap[from + k];
        }
      }
    }
    const prod = runWasmKernel(
      backend,
      'BatchMatMul',
      { a: alias(xT, [1, ci, mo]), b: alias(dy, [1, mo, co]) },
      { transposeA: false, transposeB: false },
    );
    release(backend, xT);
    return alias(prod, [1, 1, ci, co]);
  }

  // out[ci, k, co] = sum_{o, n} x'[ci, k*d + o*s - top, n] * dy'[o, n, co]: a forward conv of x' = [Ci, H, W, N]
  // with the filter dy' = [Ho, Wo, N, Co], stride d, dilation s. The trailing pad makes it reach every tap.
  const right = Math.max(0, (kw - 1) * info.dilationWidth + (wo - 1) * info.strideWidth + 1 - w - left);
  const xT = transposeToCHWN(backend, x);
  const dyT = runWasmKernel(backend, 'Transpose', { x: dy }, { perm: [1, 2, 0, 3] });
  const sums = groupedCorrelation(
    backend,
    xT,
    dyT,
    [info.dilationHeight, info.dilationWidth],
    [info.strideHeight, info.strideWidth],
    [top, left, right],
    kh,
  );
  release(backend, xT, dyT);
  // dw[r, c, i, o] = sums[i, r, c, o] (sums may have extra trailing columns: cropped).
  const dw = allocate(backend, [kh, kw, ci, co]);
  const [, , kw2] = sums.shape;
  const heap = backend.wasm.HEAPF32;
  const src = heapIndex(backend, sums);
  let dst = heapIndex(backend, dw);
  for (let r = 0; r < kh; r++) {
    for (let c = 0; c < kw; c++) {
      for (let i = 0; i < ci; i++) {
        const from = src + ((i * kh + r) * kw2 + c) * co;
        heap.copyWithin(dst, from, from + co);
        dst += co;
      }
    }
  }
  release(backend, sums);
  return dw;
}

/**
 * The sum over the filter's rows of forward convolutions: input [B, HI, WI, N] (N channels), filter [HF, WF, N, C],
 * conv stride `strides`, dilation `dilations`, padding [top, left, right]; returns [B, outRows, WO, C] where
 * outRows is fixed by the caller (the bottom padding is derived from it).
 *
 * The reduction depth of one GEMM is HF*WF*N (65536 for a weight gradient over a 64x32x32 batch). XNNPACK does not
 * block the reduction, so at that depth every output tile streams megabytes of packed filter from memory. So the
 * filter's rows are split into groups of depth <= targetDepth (keeping all N channels per tap, which the IGEMM
 * micro-kernel needs to be efficient), each group reads only the input rows it needs (copied out, clipped rows
 * becoming zero padding), and the partial results are summed.
 */
function groupedCorrelation(
  backend: WasmBackend,
  input: TensorInfo,
  filter: TensorInfo,
  strides: [number, number],
  dilations: [number, number],
  [top, left, right]: [number, number, number],
  outRows: number,
): TensorInfo {
  const [b, hi, wi, n] = input.shape;
  const [hf, wf, , c] = filter.shape;
  const rowsPerGroup = Math.max(1, Math.floor(targetDepth / (wf * n)));
  const [sh, sw] = strides;
  const [dh, dw] = dilations;
  let sums: TensorInfo | null = null;
  for (let t0 = 0; t0 < hf; t0 += rowsPerGroup) {
    const cnt = Math.min(rowsPerGroup, hf - t0);
    // Input rows this group reads (inclusive) over all output rows, clipped to the input.
    const r0 = t0 * dh - top;
    const r1 = (outRows - 1) * sh + (t0 + cnt - 1) * dh - top;
    const lo = Math.max(0, r0);
    const hiRow = Math.min(hi - 1, r1);
    if (hiRow < lo) continue;
    let part = input;
    if (lo > 0 || hiRow < hi - 1) {
      part = allocate(backend, [b, hiRow - lo + 1, wi, n]);
      const heap = backend.wasm.HEAPF32;
      const src = heapIndex(backend, input);
      const dst = heapIndex(backend, part);
      const block = (hiRow - lo + 1) * wi * n;
      for (let i = 0; i < b; i++) {
        const from = src + (i * hi + lo) * wi * n;
        heap.copyWithin(dst + i * block, from, from + block);
      }
    }
    const taps = cnt === hf ? filter : view(backend, filter, t0 * wf * n * c, [cnt, wf, n, c]);
    const out = conv2dForward(backend, part, taps, strides, [dh, dw], [lo - r0, r1 - hiRow, left, right]);
    if (taps !== filter) releaseView(backend, taps);
    if (part !== input) release(backend, part);
    if (sums == null) {
      sums = out;
    } else {
      const heap = backend.wasm.HEAPF32;
      const src = heapIndex(backend, out);
      const dst = heapIndex(backend, sums);
      const size = out.shape.reduce((a, d) => a * d, 1);
      for (let i = 0; i < size; i++) heap[dst + i] += heap[src + i];
      release(backend, out);
    }
  }
  if (sums == null) {
    // No filter row meets the input (possible only with paddings larger than the kernel): the gradient is zero.
    const wo = Math.floor((wi + left + right - ((wf - 1) * dw + 1)) / sw) + 1;
    sums = allocate(backend, [b, outRows, wo, c]);
    backend.wasm.HEAPF32.fill(0, heapIndex(backend, sums), heapIndex(backend, sums) + b * outRows * wo * c);
  }
  return sums;
}

/**
 * x [N, H, W, C] -> [C, H, W, N]. A JS loop blocked by pixel: for one (h, w) the [N, C] block it reads and the C
 * rows of N it writes stay in L1. (The backend's generic 4-D Transpose reads with a stride of H*W*C floats: 26.9 ms
 * vs 11.6 ms CPU for a 64x32x32x32 batch.)
 */
export function transposeToCHWN(backend: WasmBackend, x: TensorInfo): TensorInfo {
  const [n, h, w, c] = x.shape;
  const hw = h * w;
  const out = allocate(backend, [c, h, w, n]);
  const heap = backend.wasm.HEAPF32;
  const src = heapIndex(backend, x);
  const dst = heapIndex(backend, out);
  for (let p = 0; p < hw; p++) {
    for (let b = 0; b < n; b++) {
      const from = src + (b * hw + p) * c;
      let to = dst + p * n + b;
      for (let k = 0; k < c; k++) {
        heap[to] = heap[from + k];
        to += hw * n;
      }
    }
  }
  return out;
}

/**
 * Reduction depth (dy rows x Wo x N) per weight-gradient GEMM. 8192 floats x 8 packed output channels = 256 KB of
 * packed "filter" per output tile, which stays in L2.
 */
const targetDepth = 8192;
