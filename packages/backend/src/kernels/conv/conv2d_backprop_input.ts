/**
 * Conv2DBackpropInput for the wasm backend: dx of an NHWC conv2d, as stride-1 forward convolutions of dy with the
 * flipped, in/out-swapped filter (see input_grad_phases.ts), run by the backend's XNNPACK Conv2D kernel.
 *
 * tfjs-backend-wasm's own kernel is a direct loop (~2 GFLOP/s); XNNPACK's packed GEMM runs the same arithmetic at
 * the forward convolution's speed. NCHW (which XNNPACK does not take) and non-float inputs go to the original kernel.
 */
import {
  backend_util,
  type Conv2DBackpropInputAttrs,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { inputGradByPhases } from './input_grad_phases.js';
import { allocate, conv2dForward, heapIndex, type WasmBackend } from './wasm_backend.js';

/**
 * dx = conv2DBackpropInput(dy, filter). `fallback` is the backend's original kernel, used for NCHW data.
 */
export function makeConv2DBackpropInput(fallback: KernelFunc | null): KernelFunc {
  return (args) => {
    const backend = args.backend as WasmBackend;
    const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
    const attrs = args.attrs as unknown as Conv2DBackpropInputAttrs;
    const dataFormat = backend_util.convertConv2DDataFormat(attrs.dataFormat);
    if (dataFormat !== 'channelsLast' || dy.dtype !== 'float32' || filter.dtype !== 'float32') {
      if (fallback == null) throw new Error('@db/backend: Conv2DBackpropInput on wasm supports NHWC float32 only');
      return fallback(args);
    }
    const info = backend_util.computeConv2DInfo(
      attrs.inputShape,
      filter.shape as [number, number, number, number],
      attrs.strides,
      1,
      attrs.pad,
      attrs.dimRoundingMode,
      false,
      'channelsLast',
    );
    const [kh, kw, ci, co] = filter.shape;
    return inputGradByPhases(backend, dy, {
      inShape: info.inShape as [number, number, number, number],
      filterHeight: kh,
      filterWidth: kw,
      strideHeight: info.strideHeight,
      strideWidth: info.strideWidth,
      dilationHeight: 1,
      dilationWidth: 1,
      padTop: info.padInfo.top,
      padLeft: info.padInfo.left,
      // F[m, n, co, ci] = W[rowTaps[m], colTaps[n], ci, co]: flipped (taps come reversed) and in/out swapped.
      makeSubFilter(rowTaps, colTaps) {
        const sub = allocate(backend, [rowTaps.length, colTaps.length, co, ci]);
        const heap = backend.wasm.HEAPF32;
        const src = heapIndex(backend, filter);
        let dst = heapIndex(backend, sub);
        for (const r of rowTaps) {
          for (const c of colTaps) {
            const base = src + (r * kw + c) * ci * co;
            for (let o = 0; o < co; o++) {
              for (let i = 0; i < ci; i++) heap[dst++] = heap[base + i * co + o];
            }
          }
        }
        return sub;
      },
      subConv(x, f, pads, dilations) {
        return conv2dForward(backend, x, f, [1, 1], dilations, pads);
      },
    });
  };
}
