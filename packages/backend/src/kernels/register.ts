import { registerConvKernels } from './conv/index.js';
import { registerMiscKernels } from './misc/index.js';

/**
 * Gives the wasm backend the kernels it needs to train conv nets. Idempotent: safe to call more than once; a later
 * call re-asserts anything replaced since (each registration checks for its own mark). The gradient overrides stay
 * in place by themselves even when tfjs' Node bundle is imported afterwards (see kernels/misc/gradient-override.ts).
 */
export function registerWasmTrainingKernels(): void {
  registerConvKernels();
  registerMiscKernels();
}
