/**
 * @packageDocumentation
 * Picks the fastest TensorFlow.js backend available (tfjs-node-gpu, tfjs-node, wasm, cpu) and gives the wasm backend
 * the kernels it needs to train conv nets (fast convolution weight and input gradients, and the rest).
 */
export { registerWasmTrainingKernels } from './kernels/register.js';
export { registerConvKernels, CONV_KERNEL_NAMES } from './kernels/conv/index.js';
export { useThreadedWasm, type ThreadedWasmOptions } from './threads/threaded-wasm.js';
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
