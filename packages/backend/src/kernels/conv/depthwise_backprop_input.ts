/**
 * DepthwiseConv2dNativeBackpropInput for the wasm backend: dx[., c] = sum_m (dy[., c*M + m] correlated with the
 * flipped tap w[., c, m]), i.e. a depthwise correlation of dy with the flipped filter (channel multiplier M folded
 * into the channels, then summed), split into stride^2 phases exactly like the regular conv (input_grad_phases.ts).
 */
import { backend_util, type DepthwiseConv2dNativeBackpropInputAttrs, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { inputGradByPhases } from './input_grad_phases.js';
import { alias, allocate, depthwiseForward, heapIndex, release, runWasmKernel, type WasmBackend } from './wasm_backend.js';

/** dx = depthwiseConv2dNativeBackpropInput(dy, filter) for NHWC float32 tensors. */
export const depthwiseConv2dNativeBackpropInput: KernelFunc = (args) => {
  const backend = args.backend as WasmBackend;
  const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
  const attrs = args.attrs as unknown as DepthwiseConv2dNativeBackpropInputAttrs;
  const info = backend_util.computeConv2DInfo(
    attrs.inputShape,
    filter.shape as [number, number, number, number],
    attrs.strides,
    attrs.dilations,
    attrs.pad,
    attrs.dimRoundingMode,
    true,
  );
  const [kh, kw, c, mult] = filter.shape;
  const cm = c * mult;
  return inputGradByPhases(backend, dy, {
    inShape: info.inShape as [number, number, number, number],
    filterHeight: kh,
    filterWidth: kw,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    dilationHeight: info.dilationHeight,
    dilationWidth: info.dilationWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
    // F[m, n, c*M + mm, 0] = W[rowTaps[m], colTaps[n], c, mm]: one contiguous C*M block per tap.
    makeSubFilter(rowTaps, colTaps) {
      const sub = allocate(backend, [rowTaps.length, colTaps.length, cm, 1]);
      const heap = backend.wasm.HEAPF32;
      const src = heapIndex(backend, filter);
      let dst = heapIndex(backend, sub);
      for (const r of rowTaps) {
        for (const q of colTaps) {
          const from = src + (r * kw + q) * cm;
          heap.copyWithin(dst, from, from + cm);
          dst += cm;
        }
      }
      return sub;
    },
    subConv(x, f, pads, dilations) {
      const out = depthwiseForward(backend, x, f, [1, 1], dilations, pads); // [N, h, w, C*M]
      if (mult === 1) return out;
      const [b, h, w] = out.shape;
      const summed = runWasmKernel(backend, 'Sum', { x: alias(out, [b, h, w, c, mult]) }, { axis: [4], keepDims: false });
      release(backend, out);
      return summed;
    },
  });
};
