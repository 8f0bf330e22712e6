/**
 * Heap and convolution helpers of the conv training kernels, on top of the shared wasm internals
 * (../wasm-internals.ts: the backend's fields, running its kernels, releasing intermediates).
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { byteOffset, runWasmKernel, type WasmBackend } from '../wasm-internals.js';

export { alias, release, runWasmKernel, type WasmBackend } from '../wasm-internals.js';

/** Allocates an uninitialised float32 tensor on the wasm heap. */
export function allocate(backend: WasmBackend, shape: number[]): TensorInfo {
  return backend.makeOutput(shape, 'float32');
}

/**
 * Index (in float32 elements) of a tensor's first value inside `backend.wasm.HEAPF32`. Views of the heap go stale
 * when the heap grows, so callers re-read `backend.wasm.HEAPF32` after every allocation or kernel call.
 * A division, not `>> 2`: the byte offset is unsigned and reaches 4 GiB, and a signed shift makes every index above
 * 2 GiB negative (issue 8, item 1). malloc aligns to 8 bytes, so the quotient is exact.
 */
export function heapIndex(backend: WasmBackend, info: TensorInfo): number {
  return byteOffset(backend, info) / Float32Array.BYTES_PER_ELEMENT;
}

/** A view of a float32 tensor's values on the heap (valid until the next allocation). */
export function heapView(backend: WasmBackend, info: TensorInfo): Float32Array {
  const start = heapIndex(backend, info);
  let size = 1;
  for (const d of info.shape) size *= d;
  return backend.wasm.HEAPF32.subarray(start, start + size);
}

/**
 * A tensor over part of another tensor's memory, `offset` float32 elements in (no copy). The wasm backend registers
 * such "outputs allocated elsewhere" for C++-allocated results; here it lets XNNPACK read one group of a larger
 * tensor. Release it with {@link releaseView} only (disposeData would free memory the view does not own).
 */
export function view(backend: WasmBackend, base: TensorInfo, offset: number, shape: number[]): TensorInfo {
  return backend.makeOutput(shape, 'float32', byteOffset(backend, base) + Float32Array.BYTES_PER_ELEMENT * offset);
}

/** Forgets a {@link view}: drops its id (and any XNNPACK operator cached on it) without freeing the memory. */
export function releaseView(backend: WasmBackend, info: TensorInfo): void {
  const data = backend.dataIdMap.get(info.dataId);
  if (data == null) return;
  backend.wasm.tfjs.disposeData(data.id);
  backend.dataIdMap.delete(info.dataId);
}

/** Explicit NHWC padding in the form `computeConv2DInfo` accepts. */
export function explicitPad(top: number, bottom: number, left: number, right: number): [[number, number], [number, number], [number, number], [number, number]] {
  return [[0, 0], [top, bottom], [left, right], [0, 0]];
}

/** A forward NHWC convolution kernel of the wasm backend (XNNPACK), run with explicit, non-negative padding. */
function forward(
  kernelName: 'Conv2D' | 'DepthwiseConv2dNative',
  backend: WasmBackend,
  x: TensorInfo,
  filter: TensorInfo,
  strides: [number, number],
  dilations: [number, number],
  pads: [number, number, number, number],
): TensorInfo {
  return runWasmKernel(backend, kernelName, { x, filter }, {
    strides,
    dilations,
    pad: explicitPad(...pads),
    dataFormat: 'NHWC',
    dimRoundingMode: undefined as unknown as string,
  });
}

/** Forward NHWC conv through the wasm backend's XNNPACK Conv2D kernel with explicit, non-negative padding. */
export function conv2dForward(
  backend: WasmBackend,
  x: TensorInfo,
  filter: TensorInfo,
  strides: [number, number],
  dilations: [number, number],
  pads: [number, number, number, number],
): TensorInfo {
  return forward('Conv2D', backend, x, filter, strides, dilations, pads);
}

/** Forward NHWC depthwise conv through the wasm backend's XNNPACK kernel with explicit, non-negative padding. */
export function depthwiseForward(
  backend: WasmBackend,
  x: TensorInfo,
  filter: TensorInfo,
  strides: [number, number],
  dilations: [number, number],
  pads: [number, number, number, number],
): TensorInfo {
  return forward('DepthwiseConv2dNative', backend, x, filter, strides, dilations, pads);
}
