/**
 * Kernels and gradients the tfjs webgpu backend (4.22) lacks for training this project's nets, found by training
 * them on webgpu with a cpu fallback behind every missing kernel (../test-utils/find-missing.ts).
 */
import { registerZeroGradients } from '../../kernels/misc/non-differentiable.js';

let registered = false;

/** Registers this package's webgpu kernels and the backend-independent gradients training needs. Idempotent. */
export function registerWebGpuTrainingKernels(): void {
  if (registered) return;
  registered = true;
  // tf.divNoNan's Equal needs a gradient on every backend (see kernels/misc/non-differentiable.ts).
  registerZeroGradients();
}
