/**
 * The small slice of the wasm backend's internals that the conv training kernels use, and helpers to run the
 * backend's own registered kernels from inside ours.
 *
 * Why call `kernelFunc` directly instead of ops: a kernel runs with the engine's tape paused, and going through the
 * engine would add a tensor wrapper, bookkeeping and profiling per call. Direct calls work on `TensorInfo`s (data id,
 * shape, dtype); every intermediate we allocate is released with {@link release}, so nothing leaks into
 * `tf.memory()`.
 */
import { getKernel, type KernelBackend, type NamedAttrMap, type NamedTensorInfoMap, type TensorInfo } from '@tensorflow/tfjs-core';

/** The fields of tfjs-backend-wasm's `BackendWasm` used here (structural, so no deep import is needed). */
export interface WasmBackend extends KernelBackend {
  wasm: { HEAPF32: Float32Array; tfjs: { disposeData(id: number): void } };
  dataIdMap: {
    get(dataId: object): { id: number; memoryOffset: number } | undefined;
    delete(dataId: object): boolean;
  };
  makeOutput(shape: number[], dtype: 'float32', memoryOffset?: number): TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
}

/** Runs the kernel `name` registered for the wasm backend on `inputs`; the caller owns (and must release) the result. */
export function runWasmKernel(
  backend: WasmBackend,
  name: string,
  inputs: NamedTensorInfoMap,
  attrs: NamedAttrMap = {},
): TensorInfo {
  const kernel = getKernel(name, 'wasm');
  if (kernel == null) throw new Error(`@db/backend: the wasm backend has no '${name}' kernel registered`);
  return kernel.kernelFunc({ inputs, backend, attrs }) as TensorInfo;
}

/** Frees intermediates created by {@link runWasmKernel} or {@link allocate}. */
export function release(backend: WasmBackend, ...infos: (TensorInfo | null | undefined)[]): void {
  for (const info of infos) if (info != null) backend.disposeData(info.dataId);
}

/** Allocates an uninitialised float32 tensor on the wasm heap. */
export function allocate(backend: WasmBackend, shape: number[]): TensorInfo {
  return backend.makeOutput(shape, 'float32');
}

/**
 * Index (in float32 elements) of a tensor's first value inside `backend.wasm.HEAPF32`. Views of the heap go stale
 * when the heap grows, so callers re-read `backend.wasm.HEAPF32` after every allocation or kernel call.
 */
export function heapIndex(backend: WasmBackend, info: TensorInfo): number {
  const data = backend.dataIdMap.get(info.dataId);
  if (data == null) throw new Error('@db/backend: tensor data is not on the wasm backend');
  return data.memoryOffset >> 2;
}

/** A view of a float32 tensor's values on the heap (valid until the next allocation). */
export function heapView(backend: WasmBackend, info: TensorInfo): Float32Array {
  const start = heapIndex(backend, info);
  let size = 1;
  for (const d of info.shape) size *= d;
  return backend.wasm.HEAPF32.subarray(start, start + size);
}

/** The same data seen with another shape (no copy, no reference count: never release an alias). */
export function alias(info: TensorInfo, shape: number[]): TensorInfo {
  return { dataId: info.dataId, shape, dtype: info.dtype };
}

/**
 * A tensor over part of another tensor's memory, `offset` float32 elements in (no copy). The wasm backend registers
 * such "outputs allocated elsewhere" for C++-allocated results; here it lets XNNPACK read one group of a larger
 * tensor. Release it with {@link releaseView} only (disposeData would free memory the view does not own).
 */
export function view(backend: WasmBackend, base: TensorInfo, offset: number, shape: number[]): TensorInfo {
  const data = backend.dataIdMap.get(base.dataId);
  if (data == null) throw new Error('@db/backend: tensor data is not on the wasm backend');
  return backend.makeOutput(shape, 'float32', data.memoryOffset + 4 * offset);
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

/**
 * Forward NHWC conv through the wasm backend's XNNPACK Conv2D kernel with explicit, non-negative padding.
 */
export function conv2dForward(
  backend: WasmBackend,
  x: TensorInfo,
  filter: TensorInfo,
  strides: [number, number],
  dilations: [number, number],
  pads: [number, number, number, number],
): TensorInfo {
  return runWasmKernel(backend, 'Conv2D', { x, filter }, {
    strides,
    dilations,
    pad: explicitPad(...pads),
    dataFormat: 'NHWC',
    dimRoundingMode: undefined as unknown as string,
  });
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
  return runWasmKernel(backend, 'DepthwiseConv2dNative', { x, filter }, {
    strides,
    dilations,
    pad: explicitPad(...pads),
    dataFormat: 'NHWC',
    dimRoundingMode: undefined as unknown as string,
  });
}
