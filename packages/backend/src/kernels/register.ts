import { registerConvKernels } from './conv/index.js';
import { registerMiscKernels } from './misc/index.js';

let registered = false;

/**
 * Gives the wasm backend the kernels it needs to train conv nets. Idempotent: safe to call more than once.
 */
export function registerWasmTrainingKernels(): void {
  if (registered) return;
  registered = true;
  registerConvKernels();
  registerMiscKernels();
}
