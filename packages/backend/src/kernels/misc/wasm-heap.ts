/**
 * The slice of tfjs-backend-wasm's `BackendWasm` internals the misc kernels use, typed structurally so no deep
 * import is needed. Tensor values live in the wasm heap at `dataIdMap.get(dataId).memoryOffset`; `makeOutput`
 * mallocs a new tensor there. Heap views go stale when the heap grows (malloc may grow it), so kernels allocate
 * their outputs first and take views afterwards.
 */
import { util, type DataType, type KernelBackend, type TensorInfo } from '@tensorflow/tfjs-core';

export interface WasmBackendInternals extends KernelBackend {
  wasm: { HEAPU8: Uint8Array };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: DataType, memoryOffset?: number, values?: unknown): TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
  incRef(dataId: object): void;
}

export type HeapArray = Float32Array | Int32Array | Uint8Array;

/** A typed view (float32 / int32 / bool as uint8) of a tensor's values on the heap; valid until the next malloc. */
export function heapArray(backend: WasmBackendInternals, info: TensorInfo): HeapArray {
  const data = backend.dataIdMap.get(info.dataId);
  if (data == null) throw new Error('@db/backend: tensor data is not on the wasm backend');
  const buffer = backend.wasm.HEAPU8.buffer;
  const size = util.sizeFromShape(info.shape);
  switch (info.dtype) {
    case 'float32':
      return new Float32Array(buffer, data.memoryOffset, size);
    case 'int32':
      return new Int32Array(buffer, data.memoryOffset, size);
    case 'bool':
      return new Uint8Array(buffer, data.memoryOffset, size);
    default:
      throw new Error(`@db/backend: dtype '${info.dtype}' has no wasm heap representation`);
  }
}

/** Float32 view of a float32 tensor. */
export function heapF32(backend: WasmBackendInternals, info: TensorInfo): Float32Array {
  if (info.dtype !== 'float32') throw new Error(`@db/backend: expected a float32 tensor, got ${info.dtype}`);
  return heapArray(backend, info) as Float32Array;
}
