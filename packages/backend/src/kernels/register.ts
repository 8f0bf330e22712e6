import { registerConvKernels } from './conv/index.js';
import { registerMiscKernels } from './misc/index.js';
import { installWasmHeapGuard } from '../memory/heap-guard.js';
import { setLeanGradientsEnabled } from '../gradients/lean-gradients.js';
import { setLeanAdamEnabled } from '../gradients/lean-adam.js';
import { registerShapeOnlyGradients, setShapeOnlySavesEnabled } from '../gradients/shape-only-saves.js';

/**
 * Gives the wasm backend the kernels it needs to train conv nets. Idempotent: safe to call more than once; a later
 * call re-asserts anything replaced since (each registration checks for its own mark). The gradient overrides stay
 * in place by themselves even when tfjs' Node bundle is imported afterwards (see kernels/misc/gradient-override.ts).
 * Also guards the wasm heap: a tensor that does not fit throws a named error instead of stalling
 * (../memory/heap-guard.ts), and installs the backward pass that frees as it goes (../gradients/lean-gradients.ts;
 * every backend), shapes instead of tensors saved for Add / Sub / Reshape / Sum / Mean (../gradients/shape-only-saves.ts)
 * and Adam's update one variable at a time (../gradients/lean-adam.ts); `DB_LEAN_GRADIENTS=0` in the environment
 * keeps tfjs' stock pass, saves and Adam, for before/after comparisons.
 */
export function registerWasmTrainingKernels(): void {
  registerConvKernels();
  registerMiscKernels();
  installWasmHeapGuard();
  const env = typeof process === 'undefined' ? undefined : process.env?.DB_LEAN_GRADIENTS;
  const lean = env !== '0';
  setLeanGradientsEnabled(lean);
  setLeanAdamEnabled(lean);
  setShapeOnlySavesEnabled(lean);
  if (lean) registerShapeOnlyGradients();
}
