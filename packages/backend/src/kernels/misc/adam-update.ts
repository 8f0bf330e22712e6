/**
 * Adam's update of one variable as one wasm kernel (issue 19: the step after the weight gradient in CustomNet's
 * profile was Adam's elementwise ops, ~11 per variable, 38 ms of a 274 ms step).
 *
 * `DbAdamUpdate` takes a variable's value, its two moment slots, its gradient and the two bias-correction scalars
 * (1 - beta1^t, 1 - beta2^t, as tensors) and returns the new value and moments, computed op for op as tfjs-core's
 * AdamOptimizer does in float32 (optimizers/adam_optimizer.ts), so the variables end bit-identical:
 *   m' = m*b1 + g*(1 - b1),  v' = v*b2 + g^2*(1 - b2),  w' = ((m'/d1) / (sqrt(v'/d2) + epsilon)) * -lr + w.
 * Four values at a time in our SIMD module (../simd/simd_kernels.wat, adamUpdate); the last n % 4 in JavaScript
 * with every operation rounded to float32 (Math.fround: a float32 operation done in float64 and rounded once is
 * the float32 result for + - * / and sqrt). ../../gradients/lean-adam.ts calls it where {@link adamUpdateKernel}
 * says it runs.
 */
import { engine, getKernel, registerKernel, util, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { byteOffset, heapF32, type WasmBackend } from '../wasm-internals.js';
import { simdKernels } from '../simd/simd-kernel.js';

export const ADAM_UPDATE = 'DbAdamUpdate';

/** Adam's hyperparameters, as the optimizer holds them (JavaScript numbers). */
export interface AdamUpdateAttrs {
  beta1: number;
  beta2: number;
  epsilon: number;
  learningRate: number;
}

const adamUpdate: KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as WasmBackend;
  const { value, m, v, gradient, oneMinusAccBeta1, oneMinusAccBeta2 } = inputs as Record<string, TensorInfo>;
  const { beta1, beta2, epsilon, learningRate } = attrs as unknown as AdamUpdateAttrs;
  const kernels = simdKernels(b);
  if (kernels == null) throw new Error(`@db/backend: ${ADAM_UPDATE} needs the SIMD module (see adamUpdateKernel)`);
  const n = util.sizeFromShape(value.shape);
  const outs = [value, m, v].map((t) => b.makeOutput(t.shape, 'float32'));
  const f = Math.fround;
  // tfjs makes each scalar a float32 tensor from the JavaScript number (1 - beta1 computed in float64 first).
  const [b1, c1, b2, c2, eps, negLr] = [beta1, 1 - beta1, beta2, 1 - beta2, epsilon, -learningRate].map(f);
  const d1 = heapF32(b, oneMinusAccBeta1)[0];
  const d2 = heapF32(b, oneMinusAccBeta2)[0];
  const n4 = n - (n % 4);
  const at = (t: TensorInfo) => byteOffset(b, t);
  if (n4 > 0) kernels.adamUpdate(at(value), at(m), at(v), at(gradient), at(outs[0]), at(outs[1]), at(outs[2]), n4, b1, c1, b2, c2, d1, d2, eps, negLr);
  const [W, M, V, G, OW, OM, OV] = [value, m, v, gradient, ...outs].map((t) => heapF32(b, t));
  for (let i = n4; i < n; i++) {
    const g = G[i];
    const mi = f(f(M[i] * b1) + f(g * c1));
    const vi = f(f(V[i] * b2) + f(f(g * g) * c2));
    OM[i] = mi;
    OV[i] = vi;
    OW[i] = f(f(f(f(mi / d1) / f(f(Math.sqrt(f(vi / d2))) + eps)) * negLr) + W[i]);
  }
  return outs;
};

/** Registers DbAdamUpdate for the wasm backend. Idempotent. */
export function registerAdamUpdate(): void {
  if (getKernel(ADAM_UPDATE, 'wasm') == null) registerKernel({ kernelName: ADAM_UPDATE, backendName: 'wasm', kernelFunc: adamUpdate });
}

/** Whether Adam's update of a float32 variable can run as DbAdamUpdate on the current backend. */
export function adamUpdateKernel(): boolean {
  const e = engine();
  if (e.backendName !== 'wasm' || getKernel(ADAM_UPDATE, 'wasm') == null) return false;
  return simdKernels(e.backend as unknown as WasmBackend) != null;
}

