/**
 * The slice of tfjs-backend-wasm's `BackendWasm` internals our kernels use, typed structurally so no deep import is
 * needed, and the helpers every kernel shares: running the backend's own registered kernels from inside ours, and
 * typed views of tensor values on the wasm heap.
 *
 * Why call `kernelFunc` directly instead of ops: a kernel runs with the engine's tape paused, and going through the
 * engine would add a tensor wrapper, bookkeeping and profiling per call. Direct calls work on `TensorInfo`s (data id,
 * shape, dtype); every intermediate a kernel allocates is released with {@link release}, so nothing leaks into
 * `tf.memory()`.
 *
 * Tensor values live in the wasm heap at `dataIdMap.get(dataId).memoryOffset`; `makeOutput` mallocs a new tensor
 * there. That offset is an unsigned 32-bit byte address (the heap grows to 4 GiB): read it with {@link byteOffset}
 * only, and never put it through signed 32-bit arithmetic (`>> 2`, `| 0`), which turns every address above 2 GiB
 * negative (tensors there would read NaN, drop writes and copy over unrelated memory). Heap views go stale when the heap grows (malloc may grow it), so kernels allocate their outputs first and
 * take views afterwards.
 */
import {
  getKernel,
  util,
  type DataType,
  type KernelBackend,
  type NamedAttrMap,
  type NamedTensorInfoMap,
  type TensorInfo,
} from '@tensorflow/tfjs-core';

/** The fields of tfjs-backend-wasm's `BackendWasm` used by this package's kernels. */
export interface WasmBackend extends KernelBackend {
  wasm: { HEAPU8: Uint8Array; HEAPF32: Float32Array; tfjs: { disposeData(id: number): void } };
  dataIdMap: {
    get(dataId: object): { id: number; memoryOffset: number } | undefined;
    delete(dataId: object): boolean;
  };
  makeOutput(shape: number[], dtype: DataType, memoryOffset?: number, values?: unknown): TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
  incRef(dataId: object): void;
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

/** Frees intermediates created by {@link runWasmKernel} or `makeOutput`. Never pass an {@link alias}. */
export function release(backend: WasmBackend, ...infos: (TensorInfo | null | undefined)[]): void {
  for (const info of infos) if (info != null) backend.disposeData(info.dataId);
}

/** The same data seen with another shape (no copy, no reference count: never release an alias). */
export function alias(info: TensorInfo, shape: number[]): TensorInfo {
  return { dataId: info.dataId, shape, dtype: info.dtype };
}

/**
 * Byte address of a tensor's first value in the wasm heap, as an unsigned 32-bit number. tfjs-backend-wasm stores
 * `_malloc(n) >>> 0` (backend_wasm.ts: "`>>> 0` is needed for above 2GB allocations"); `>>> 0` here as well keeps
 * an offset that reached `makeOutput` from C++ (a signed i32) on the same footing.
 */
export function byteOffset(backend: WasmBackend, info: TensorInfo): number {
  const data = backend.dataIdMap.get(info.dataId);
  if (data == null) throw new Error('@db/backend: tensor data is not on the wasm backend');
  return data.memoryOffset >>> 0;
}

export type HeapArray = Float32Array | Int32Array | Uint8Array;

/** A typed view (float32 / int32 / bool as uint8) of a tensor's values on the heap; valid until the next malloc. */
export function heapArray(backend: WasmBackend, info: TensorInfo): HeapArray {
  const offset = byteOffset(backend, info);
  const buffer = backend.wasm.HEAPU8.buffer;
  const size = util.sizeFromShape(info.shape);
  switch (info.dtype) {
    case 'float32':
      return new Float32Array(buffer, offset, size);
    case 'int32':
      return new Int32Array(buffer, offset, size);
    case 'bool':
      return new Uint8Array(buffer, offset, size);
    default:
      throw new Error(`@db/backend: dtype '${info.dtype}' has no wasm heap representation`);
  }
}

/** Float32 view of a float32 tensor's values on the heap; valid until the next malloc. */
export function heapF32(backend: WasmBackend, info: TensorInfo): Float32Array {
  if (info.dtype !== 'float32') throw new Error(`@db/backend: expected a float32 tensor, got ${info.dtype}`);
  return heapArray(backend, info) as Float32Array;
}
