/**
 * Kernels and gradients the tfjs webgpu backend (4.22) lacks for training this project's nets. Searched with
 * kernelsMissingOn (../../diagnostics/missing-kernels.ts; per test net: ../test-utils/find-missing.ts; the report's
 * nets: packages/models/src/webgpu/training.device.test.ts): no kernel is missing. What is registered here is the
 * backend-independent part the wasm path registers too.
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
