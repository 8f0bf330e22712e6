export { registerWasmTrainingKernels } from './kernels/register.js';
