/**
 * The input gradient of a strided convolution, computed as stride^2 stride-1 "sub-convolutions" instead of one
 * convolution over a zero-inserted dy.
 *
 * Forward (one axis, NHWC, stride s, dilation d, leading pad p): y[o] = sum_k x[o*s + k*d - p] * w[k]. So
 * dx[i] = sum over (o, k) with o*s + k*d - p = i of dy[o] * w[k]. The classic route inserts s-1 zeros between the
 * rows of dy and correlates with the flipped filter; for s = 2 three quarters of its multiply-adds hit zeros.
 *
 * Phase decomposition (the "sub-pixel" view of a transposed convolution, e.g. Shi et al. 2016, "Is the
 * deconvolution layer the same as a convolutional layer?"): split dx into the s residue classes i = s*j + a. For a
 * fixed a only the taps k = r, r+s, r+2s, ... with r = (a + p) mod s reach it (d = 1 whenever s > 1 in tfjs), and
 * with q = floor((a + p) / s) the output is dx[s*j + a] = sum_m dy[j + q - m] * w[r + s*m]: a dense stride-1
 * correlation of dy with those taps, flipped. Every multiply-add is useful, and each sub-convolution runs through
 * the backend's fast forward convolution. For s = 1 there is one phase and this reduces to the textbook
 * "correlate dy, padded by (k-1)*d - p, with the flipped filter".
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { allocate, heapIndex, release, runWasmKernel, type WasmBackend } from './wasm_backend.js';

/** One residue class of output positions along one spatial axis. */
export interface AxisPhase {
  /** First input-gradient position of this class (0 <= phase < stride). */
  phase: number;
  /** Number of positions in the class: phase, phase + stride, ... < inSize. */
  count: number;
  /** Filter taps feeding this class, in the (flipped) order the sub-filter uses. Empty: the class is all zeros. */
  taps: number[];
  /** Padding of dy before / after for the stride-1 sub-convolution; negative means "crop dy". */
  padBefore: number;
  padAfter: number;
}

/**
 * The phases along one axis. `inSize` is the forward input size (dx size), `outSize` the forward output size (dy
 * size), `k` the filter size, `s` the stride, `d` the dilation (only with s = 1, as tfjs requires), `p` the leading pad.
 */
export function axisPhases(inSize: number, outSize: number, k: number, s: number, d: number, p: number): AxisPhase[] {
  if (s > 1 && d > 1) throw new Error('@db/backend: input gradient with both stride and dilation > 1 is not defined in tfjs');
  const phases: AxisPhase[] = [];
  for (let a = 0; a < s; a++) {
    const count = a < inSize ? Math.ceil((inSize - a) / s) : 0;
    const r = (((a + p) % s) + s) % s;
    const q = Math.floor((a + p) / s);
    const taps: number[] = [];
    for (let kk = r; kk < k; kk += s) taps.push(kk);
    taps.reverse();
    const m = taps.length;
    // Sub-conv output j reads dy[j - padBefore + m'*d] for m' = 0..m-1, which must equal dy[j + q - (m-1-m')*d]
    // (s = 1: q = p); the trailing pad makes the output exactly `count` long.
    const padBefore = (m - 1) * d - q;
    const padAfter = count + (m - 1) * d - outSize - padBefore;
    // dy rows the sub-conv reads once the negative pads are cropped: [max(0, q - (m-1)d), min(outSize, count + q)).
    // A large explicit pad can leave none: every tap of this class lands in the padding, so it is all zeros like a
    // class without taps (running the conv on an empty dy would leave its output, and so dx, unwritten: issue 8,
    // item 7).
    const rowsRead = outSize - Math.max(0, -padBefore) - Math.max(0, -padAfter);
    if (rowsRead <= 0) taps.length = 0;
    phases.push({ phase: a, count, taps, padBefore, padAfter });
  }
  return phases;
}

/** Everything {@link inputGradByPhases} needs besides dy. */
export interface PhaseConvSpec {
  /** Forward input shape [N, H, W, C] (the shape of dx). */
  inShape: [number, number, number, number];
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  dilationHeight: number;
  dilationWidth: number;
  padTop: number;
  padLeft: number;
  /** Builds the flipped sub-filter for the given row and column taps (in sub-filter order). */
  makeSubFilter(rowTaps: number[], colTaps: number[]): TensorInfo;
  /** Stride-1 forward correlation of dy with a sub-filter, padded by [top, bottom, left, right]; returns [N, h, w, C]. */
  subConv(dy: TensorInfo, filter: TensorInfo, pads: [number, number, number, number], dilations: [number, number]): TensorInfo;
}

/** dy: [N, Ho, Wo, Cdy]. Returns dx, [N, H, W, C], owned by the caller. */
export function inputGradByPhases(backend: WasmBackend, dy: TensorInfo, spec: PhaseConvSpec): TensorInfo {
  const [n, h, w, c] = spec.inShape;
  const [, ho, wo] = dy.shape;
  const rows = axisPhases(h, ho, spec.filterHeight, spec.strideHeight, spec.dilationHeight, spec.padTop);
  const cols = axisPhases(w, wo, spec.filterWidth, spec.strideWidth, spec.dilationWidth, spec.padLeft);
  const dil: [number, number] = [spec.dilationHeight, spec.dilationWidth];

  const hasTaps = (r: AxisPhase, q: AxisPhase) => r.count > 0 && q.count > 0 && r.taps.length > 0 && q.taps.length > 0;
  if (rows.length === 1 && cols.length === 1 && hasTaps(rows[0], cols[0])) return runPhase(backend, dy, rows[0], cols[0], spec, dil);

  const dx = allocate(backend, [n, h, w, c]);
  const allCovered = rows.every((r) => r.count === 0 || r.taps.length > 0) && cols.every((q) => q.count === 0 || q.taps.length > 0);
  if (!allCovered) backend.wasm.HEAPF32.fill(0, heapIndex(backend, dx), heapIndex(backend, dx) + n * h * w * c);
  for (const rp of rows) {
    for (const cp of cols) {
      if (!hasTaps(rp, cp)) continue;
      const part = runPhase(backend, dy, rp, cp, spec, dil);
      // Scatter the phase's rows into every s-th row / column of dx, one contiguous channel vector at a time.
      const heap = backend.wasm.HEAPF32;
      const src0 = heapIndex(backend, part);
      const dst0 = heapIndex(backend, dx);
      const sh = spec.strideHeight;
      const sw = spec.strideWidth;
      let src = src0;
      for (let b = 0; b < n; b++) {
        for (let i = 0; i < rp.count; i++) {
          let dst = dst0 + ((b * h + rp.phase + sh * i) * w + cp.phase) * c;
          for (let j = 0; j < cp.count; j++) {
            heap.copyWithin(dst, src, src + c);
            src += c;
            dst += sw * c;
          }
        }
      }
      release(backend, part);
    }
  }
  return dx;
}

function runPhase(
  backend: WasmBackend,
  dy: TensorInfo,
  rp: AxisPhase,
  cp: AxisPhase,
  spec: PhaseConvSpec,
  dil: [number, number],
): TensorInfo {
  const [n, ho, wo, cdy] = dy.shape;
  let input = dy;
  let cropped: TensorInfo | null = null;
  const cropTop = Math.max(0, -rp.padBefore);
  const cropBottom = Math.max(0, -rp.padAfter);
  const cropLeft = Math.max(0, -cp.padBefore);
  const cropRight = Math.max(0, -cp.padAfter);
  if (cropTop + cropBottom + cropLeft + cropRight > 0) {
    // Only with unusual explicit paddings: dy rows no input position depends on.
    cropped = runWasmKernel(backend, 'Slice', { x: dy }, {
      begin: [0, cropTop, cropLeft, 0],
      size: [n, ho - cropTop - cropBottom, wo - cropLeft - cropRight, cdy],
    });
    input = cropped;
  }
  const filter = spec.makeSubFilter(rp.taps, cp.taps);
  const pads: [number, number, number, number] = [
    Math.max(0, rp.padBefore),
    Math.max(0, rp.padAfter),
    Math.max(0, cp.padBefore),
    Math.max(0, cp.padAfter),
  ];
  const out = spec.subConv(input, filter, pads, dil);
  release(backend, filter, cropped);
  return out;
}
