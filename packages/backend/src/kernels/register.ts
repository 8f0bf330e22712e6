import { registerConvKernels } from './conv/index.js';
import { registerMiscKernels } from './misc/index.js';
import { installWasmHeapGuard } from '../memory/heap-guard.js';

/**
 * Gives the wasm backend the kernels it needs to train conv nets. Idempotent: safe to call more than once; a later
 * call re-asserts anything replaced since (each registration checks for its own mark). The gradient overrides stay
 * in place by themselves even when tfjs' Node bundle is imported afterwards (see kernels/misc/gradient-override.ts).
 * Also guards the wasm heap: a tensor that does not fit throws a named error instead of stalling
 * (../memory/heap-guard.ts).
 */
export function registerWasmTrainingKernels(): void {
  registerConvKernels();
  registerMiscKernels();
  installWasmHeapGuard();
}
