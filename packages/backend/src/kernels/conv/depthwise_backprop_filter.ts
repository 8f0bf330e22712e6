/**
 * DepthwiseConv2dNativeBackpropFilter for the wasm backend.
 *
 * Depthwise forward (one spatial axis): y[n, o, c*M + m] = sum_k x[n, o*s + k*d - p, c] * w[k, c, m], so
 * dw[k, c, m] = sum_{n, o} x[n, k*d + o*s - p, c] * dy[n, o, c*M + m]. Folding the batch into the channels makes it
 * one depthwise convolution: input x' = x as [1, H, W, N*C] (x transposed to [H, W, N, C]), "filter" dy' = dy as
 * [Ho, Wo, N*C, M] (dy transposed to [Ho, Wo, N, C*M]), stride d and dilation s; its output [1, KH', KW', N*C*M]
 * is summed over n and cropped to [KH, KW, C, M]. The backend's XNNPACK depthwise kernel does the multiply-adds.
 */
import { backend_util, type DepthwiseConv2dNativeBackpropFilterAttrs, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { alias, allocate, depthwiseForward, heapIndex, release, runWasmKernel, type WasmBackend } from './wasm_backend.js';

/** dw = depthwiseConv2dNativeBackpropFilter(x, dy) for NHWC float32 tensors. */
export const depthwiseConv2dNativeBackpropFilter: KernelFunc = (args) => {
  const backend = args.backend as WasmBackend;
  const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
  const attrs = args.attrs as unknown as DepthwiseConv2dNativeBackpropFilterAttrs;
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    attrs.dilations,
    attrs.pad,
    attrs.dimRoundingMode,
    true,
  );
  const [n, h, w, c] = x.shape;
  const [, ho, wo, cm] = dy.shape;
  const mult = cm / c;
  const kh = info.filterHeight;
  const kw = info.filterWidth;
  const { top, left } = info.padInfo;

  const xT = runWasmKernel(backend, 'Transpose', { x }, { perm: [1, 2, 0, 3] }); // [H, W, N, C]
  const dyT = runWasmKernel(backend, 'Transpose', { x: dy }, { perm: [1, 2, 0, 3] }); // [Ho, Wo, N, C*M]
  const bottom = Math.max(0, (kh - 1) * info.dilationHeight + (ho - 1) * info.strideHeight + 1 - h - top);
  const right = Math.max(0, (kw - 1) * info.dilationWidth + (wo - 1) * info.strideWidth + 1 - w - left);
  const out = depthwiseForward(
    backend,
    alias(xT, [1, h, w, n * c]),
    alias(dyT, [ho, wo, n * c, mult]),
    [info.dilationHeight, info.dilationWidth],
    [info.strideHeight, info.strideWidth],
    [top, bottom, left, right],
  ); // [1, KH', KW', N*C*M]
  release(backend, xT, dyT);

  const [, , kw2] = out.shape;
  const dw = allocate(backend, [kh, kw, c, mult]);
  const heap = backend.wasm.HEAPF32;
  const src = heapIndex(backend, out);
  const dst = heapIndex(backend, dw);
  for (let r = 0; r < kh; r++) {
    for (let q = 0; q < kw; q++) {
      const from = src + (r * kw2 + q) * n * cm;
      const to = dst + (r * kw + q) * cm;
      for (let j = 0; j < cm; j++) {
        let sum = 0;
        for (let b = 0; b < n; b++) sum += heap[from + b * cm + j];
        heap[to + j] = sum;
      }
    }
  }
  release(backend, out);
  return dw;
};
