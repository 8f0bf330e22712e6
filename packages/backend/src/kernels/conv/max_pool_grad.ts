/**
 * MaxPoolGrad for the wasm backend: dx[argmax of each window] += dy[window].
 *
 * The backend's own kernel costs ~160 ms per CustomNet batch for three 2x2 pools (measured with node --cpu-prof);
 * this is one pass over the windows on the wasm heap. Tie-breaking follows the cpu backend (maxPoolPositions): the
 * first strictly greater value in row-major window order wins, padding never does, and overlapping windows add up.
 */
import { backend_util, type KernelFunc, type MaxPoolGradAttrs, type TensorInfo } from '@tensorflow/tfjs-core';
import { allocate, heapIndex, type WasmBackend } from './wasm_backend.js';

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
