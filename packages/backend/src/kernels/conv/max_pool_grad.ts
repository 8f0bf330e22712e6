/**
 * MaxPoolGrad for the wasm backend: dx[argmax of each window] += dy[window].
 *
 * The backend's own kernel costs ~160 ms per CustomNet batch for three 2x2 pools (measured with node --cpu-prof);
 * this is one pass over the windows on the wasm heap: four channels at a time in our SIMD kernel (simd_kernels.wat)
 * when the channel count is a multiple of 4, else a JavaScript loop (25 ms per CustomNet batch). Tie-breaking
 * follows the cpu backend (maxPoolPositions): the first strictly greater value in row-major window order wins,
 * padding never does, and overlapping windows add up.
 */
import { backend_util, type KernelFunc, type MaxPoolGradAttrs, type TensorInfo } from '@tensorflow/tfjs-core';
import { byteOffset } from '../wasm-internals.js';
import { allocate, heapIndex, heapView, release, type WasmBackend } from './wasm_backend.js';
import { simdKernels, type SimdKernels } from '../simd/simd-kernel.js';

/** dx = maxPoolGrad(dy, x). `fallback` (the backend's kernel) handles non-float32 input. */
export function makeMaxPoolGrad(fallback: KernelFunc | null): KernelFunc {
  return (args) => {
    const backend = args.backend as WasmBackend;
    const { dy, input } = args.inputs as { dy: TensorInfo; input: TensorInfo };
    if (input.dtype !== 'float32' || dy.dtype !== 'float32') {
      if (fallback == null) throw new Error('@db/backend: MaxPoolGrad on wasm supports float32 only');
      return fallback(args);
    }
    const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as MaxPoolGradAttrs;
    const info = backend_util.computePool2DInfo(
      input.shape as [number, number, number, number],
      filterSize,
      strides,
      1,
      pad,
      dimRoundingMode,
    );
    const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: ho, outWidth: wo } = info;
    const { strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw } = info;
    const { top, left } = info.padInfo;

    const kernels = c % 4 === 0 ? simdKernels(backend) : null;
    if (kernels != null) return simdMaxPoolGrad(backend, kernels, input, dy, info);
    const dx = allocate(backend, [n, h, w, c]);
    const heap = backend.wasm.HEAPF32;
    const xs = heapIndex(backend, input);
    const dys = heapIndex(backend, dy);
    const dxs = heapIndex(backend, dx);
    heap.fill(0, dxs, dxs + n * h * w * c);
    // Per output pixel, the window's in-bounds pixels (offsets of their channel vectors), then one pass per channel.
    const bases = new Int32Array(fh * fw);
    for (let b = 0; b < n; b++) {
      for (let oy = 0; oy < ho; oy++) {
        const y0 = oy * sh - top;
        const ys = Math.max(0, y0);
        const ye = Math.min(h, y0 + fh);
        for (let ox = 0; ox < wo; ox++) {
          const x0 = ox * sw - left;
          const xStart = Math.max(0, x0);
          const xe = Math.min(w, x0 + fw);
          let m = 0;
          for (let y = ys; y < ye; y++) {
            for (let x = xStart; x < xe; x++) bases[m++] = ((b * h + y) * w + x) * c;
          }
          const q = dys + ((b * ho + oy) * wo + ox) * c;
          for (let k = 0; k < c; k++) {
            // Row-major window order; the first strictly greater value wins (as the cpu backend's maxPoolPositions).
            let bestAt = -1;
            let bestVal = -Infinity;
            for (let j = 0; j < m; j++) {
              const v = heap[xs + bases[j] + k];
              if (v > bestVal) {
                bestVal = v;
                bestAt = bases[j] + k;
              }
            }
            if (bestAt >= 0) heap[dxs + bestAt] += heap[q + k];
          }
        }
      }
    }
    return dx;
  };
}

/**
 * The same on the SIMD kernel, one call per run of output pixels whose windows have the same shape: per output row,
 * the windows that lie inside the image's columns in one call, each clipped border window in its own.
 */
function simdMaxPoolGrad(backend: WasmBackend, kernels: SimdKernels, input: TensorInfo, dy: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: ho, outWidth: wo } = info;
  const { strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw } = info;
  const { top, left } = info.padInfo;
  const dx = allocate(backend, [n, h, w, c]);
  const offsets = allocate(backend, [fh * fw]);
  const heap = backend.wasm.HEAPF32;
  // Windows that tile the image exactly (CustomNet's 2x2 pools of stride 2) write every dx value once: no zeroing,
  // and stores instead of additions. Otherwise dx starts at zero and windows add to it.
  const overlap = sh < fh || sw < fw;
  const tiles = !overlap && sh === fh && sw === fw && top === 0 && left === 0 && ho * sh === h && wo * sw === w;
  if (!tiles) heapView(backend, dx).fill(0);
  const offsets0 = byteOffset(backend, offsets);
  const table = new Int32Array(heap.buffer, offsets0, fh * fw);
  const x0 = byteOffset(backend, input);
  const dy0 = byteOffset(backend, dy);
  const toDx = byteOffset(backend, dx) - x0;
  const pixel = 4 * c;
  // Output columns whose windows lie inside [0, w).
  const inA = Math.min(wo, Math.max(0, Math.ceil(left / sw)));
  const inB = Math.max(inA, Math.min(wo, Math.floor((w - fw + left) / sw) + 1));
  // One call: output pixels ox in [oxA, oxB) of row (b, oy), window columns [cs, ce) relative to each one's x0.
  const run = (b: number, oy: number, ys: number, ye: number, oxA: number, oxB: number, cs: number, ce: number) => {
    let m = 0;
    for (let y = ys; y < ye; y++) for (let col = cs; col < ce; col++) table[m++] = ((y - ys) * w + (col - cs)) * pixel;
    if (m === 0) return;
    const firstX = oxA * sw - left + cs;
    kernels.maxPoolGrad(
      x0 + ((b * h + ys) * w + firstX) * pixel,
      dy0 + ((b * ho + oy) * wo + oxA) * pixel,
      toDx,
      offsets0,
      m,
      c,
      oxB - oxA,
      sw * pixel,
      overlap ? 0 : 1,
    );
  };
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < ho; oy++) {
      const y0 = oy * sh - top;
      const ys = Math.max(0, y0);
      const ye = Math.min(h, y0 + fh);
      if (ye <= ys) continue;
      if (inA < inB) run(b, oy, ys, ye, inA, inB, 0, fw);
      for (let ox = 0; ox < wo; ox++) {
        if (ox >= inA && ox < inB) continue;
        const xStart = ox * sw - left;
        run(b, oy, ys, ye, ox, ox + 1, Math.max(0, -xStart), Math.min(fw, w - xStart));
      }
    }
  }
  release(backend, offsets);
  return dx;
}
