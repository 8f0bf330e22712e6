/**
 * Registers the non-convolution training kernels the wasm backend lacks or runs slowly, found by training the
 * project's nets on wasm (./test-utils/find-missing.ts, ./training-coverage.test.ts) and profiling them
 * (./test-utils/profile-train.ts):
 * - UnsortedSegmentSum (gradient of gather), ./unsorted-segment-sum.ts;
 * - zero gradients for comparison kernels (tf.divNoNan needs Equal's, on every backend), ./non-differentiable.ts;
 * - a fused FusedBatchNorm gradient (kernel + gradient override), ./batch-norm-grad.ts, and its forward as one
 *   XNNPACK pass, ./batch-norm-forward.ts;
 * - Sum / Mean over leading axes in one pass, ./reductions.ts, and their gradients without ones(x.shape),
 *   ./reduction-grads.ts;
 * - Identity and same-dtype Cast sharing data instead of copying it, and Cast to bool as x != 0, ./identity.ts;
 * - Relu's gradient from its output (every backend), so a Relu's input is not kept for the backward pass,
 *   ./relu-grad.ts;
 * - Adam's update of a variable as one kernel, ./adam-update.ts (used by ../../gradients/lean-adam.ts).
 */
import '@tensorflow/tfjs-backend-wasm';
import { getKernel, registerKernel } from '@tensorflow/tfjs-core';
import { unsortedSegmentSumConfig } from './unsorted-segment-sum.js';
import { registerFusedBatchNormGrad } from './batch-norm-grad.js';
import { registerFastBatchNorm } from './batch-norm-forward.js';
import { registerZeroGradients } from './non-differentiable.js';
import { registerFastReductions } from './reductions.js';
import { registerReductionGrads } from './reduction-grads.js';
import { registerSharedIdentity } from './identity.js';
import { registerReluGradFromOutput } from './relu-grad.js';
import { registerAdamUpdate } from './adam-update.js';

/** Registers the non-convolution training kernels the wasm backend lacks (segment sums, BatchNorm gradient, ...). */
export function registerMiscKernels(): void {
  if (getKernel(unsortedSegmentSumConfig.kernelName, 'wasm') == null) registerKernel(unsortedSegmentSumConfig);
  registerZeroGradients();
  registerFusedBatchNormGrad();
  registerFastBatchNorm();
  registerFastReductions();
  registerReductionGrads();
  registerSharedIdentity();
  registerReluGradFromOutput();
  registerAdamUpdate();
}
