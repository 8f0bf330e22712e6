/**
 * @packageDocumentation
 * Picks the fastest TensorFlow.js backend available (tfjs-node-gpu, webgpu on a hardware adapter, tfjs-node, wasm,
 * cpu) and gives the wasm backend the kernels it needs to train conv nets (fast convolution weight and input
 * gradients, and the rest).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { useFastestBackend } from '@db/backend';
 *
 * const choice = await useFastestBackend(); // logs its choice and why it skipped each faster backend
 * console.log(choice.backendName, tf.getBackend()); // e.g. 'wasm' 'wasm' without tfjs-node installed
 * console.log(tf.matMul(tf.ones([2, 3]), tf.ones([3, 2])).arraySync()); // [[3, 3], [3, 3]]
 * ```
 */
export { registerWasmTrainingKernels } from './kernels/register.js';
export { registerConvKernels, CONV_KERNEL_NAMES } from './kernels/conv/index.js';
export { setStridedPointwiseFilterGradEnabled } from './kernels/conv/conv2d_backprop_filter.js';
export { setSimdKernelsEnabled } from './kernels/simd/simd-kernel.js';
export { kernelsMissingOn, recordKernels, type KernelRecord } from './diagnostics/missing-kernels.js';
export { worstGradientError } from './diagnostics/gradient-parity.js';
export { peakBufferBytes } from './diagnostics/peak-memory.js';
export { activeWebGpuAdapter } from './webgpu/use-webgpu.js';
export { describeAdapter, type WebGpuAdapterSummary } from './webgpu/probe.js';
export { registerWebGpuTrainingKernels } from './webgpu/kernels/index.js';
export { useThreadedWasm, type ThreadedWasmOptions } from './threads/threaded-wasm.js';
export { setLeanGradientsEnabled, leanGradientsEnabled } from './gradients/lean-gradients.js';
export { setLeanAdamEnabled, leanOptimizer } from './gradients/lean-adam.js';
export { setShapeOnlySavesEnabled, registerShapeOnlyGradients, shapesOnly, SHAPES_ONLY } from './gradients/shape-only-saves.js';
export { WasmHeapExhaustedError, WASM_HEAP_MAX_BYTES, guardWasmHeap } from './memory/heap-guard.js';
export { fileSystem, fileSystemRouter, registerFileSystemRouters, ModelFileError, FILE_SCHEME } from './io/file-system.js';
export {
  useFastestBackend,
  oneLineReason,
  BACKEND_ORDER,
  BACKEND_ALIASES,
  BACKEND_PACKAGE,
  TFJS_BACKEND_NAME,
  parseBackendName,
  type UseFastestBackendOptions,
  type BackendChoice,
  type SkippedBackend,
  type BackendCandidate,
} from './select/index.js';
