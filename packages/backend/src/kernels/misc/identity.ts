/**
 * Identity, and Cast to the tensor's own dtype, on wasm by sharing the data (reference count) instead of copying it.
 *
 * The engine clones every tensor it saves for backprop (Engine.saveTensorsForBackwardMode -> clone -> Identity),
 * and upstream's wasm Identity mallocs and copies the values, where the cpu and webgl backends only increment a
 * reference count; profiled at ~60-200 ms of a CustomNet batch (issue 3 profile: 202 Identity calls per step).
 * tfjs never writes into a kernel's input in place, and the wasm backend already shares data this way for Reshape,
 * so sharing is safe; strings keep the upstream path. tf.moments casts its input to float32 even when it already is
 * (one more full copy per BatchNorm); upstream's wasm Cast copies in that case too.
 *
 * The same override fixes upstream's wasm Cast to bool, which stores the number into a Uint8Array (0.5 -> 0,
 * 256 -> 0, -1 -> 255); tfjs semantics (cpu backend: notEqual(x, 0)) are x != 0, NaN included.
 */
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { heapArray, type WasmBackend } from '../wasm-internals.js';
import { overrideWasmKernel } from './wasm-ops.js';

const MARK = Symbol.for('@db/backend.sharedIdentity');
const CAST_MARK = Symbol.for('@db/backend.sharedCast');

let enabled = true;

/** Switches sharing on or off at runtime (on once registered); for before/after profiles. */
export function setSharedIdentityEnabled(on: boolean): void {
  enabled = on;
}

export function registerSharedIdentity(): void {
  overrideWasmKernel('Identity', MARK, (original): KernelFunc => (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    if (!enabled || x.dtype === 'string') return original(args);
    (args.backend as WasmBackend).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  });
  overrideWasmKernel('Cast', CAST_MARK, (original): KernelFunc => (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { dtype } = args.attrs as { dtype: string };
    const backend = args.backend as WasmBackend;
    if (dtype === 'bool' && (x.dtype === 'float32' || x.dtype === 'int32')) {
      const out = backend.makeOutput(x.shape, 'bool');
      const src = heapArray(backend, x);
      const dst = heapArray(backend, out);
      for (let i = 0; i < src.length; i++) dst[i] = src[i] !== 0 ? 1 : 0;
      return out;
    }
    if (!enabled || x.dtype === 'string' || dtype !== x.dtype) return original(args);
    backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  });
}
