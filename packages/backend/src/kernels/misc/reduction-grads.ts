/**
 * Gradients of Sum and Mean without materialising ones(x.shape) on wasm.
 *
 * tfjs-core's Sum / Mean gradients (gradients/Sum_grad.ts, Mean_grad.ts) compute dx = reshape(dy, keepDimsShape)
 * * ones(x.shape) (/ reduceSize for Mean): a full-size ones array built in JS and uploaded, a broadcasting multiply
 * and for Mean a full-size divide. Every BatchNorm in training hits this twice (tf.moments takes two means), so
 * this was ~90-180 ms of a CustomNet batch. dx is just dy (divided by the reduced size for Mean) repeated along the
 * reduced axes; when those axes are a leading block (per-channel reductions) the output is K values repeated R
 * times, written by one copy of K values and log2(R) doubling copyWithin calls (memcpy speed); when they are a
 * trailing block, each value fills a contiguous run. Other axis patterns, other dtypes and other backends use the
 * upstream gradient, which stays registered underneath. Both read only x's shape and dtype, so x itself is not kept
 * for them (../../gradients/shape-only-saves.ts).
 */
import {
  engine,
  getKernel,
  registerKernel,
  reshape,
  util,
  type GradConfig,
  type KernelFunc,
  type NamedAttrMap,
  type Tensor,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { heapF32, type WasmBackend } from '../wasm-internals.js';
import { overrideGradient } from './gradient-override.js';
import { shapesOnly } from '../../gradients/shape-only-saves.js';

/** Name of the broadcast kernel (ours; not a tfjs-core kernel name). */
export const BROADCAST_REDUCED = 'DbBroadcastReduced';

/**
 * How `reduced` (x's shape with the reduced axes set to 1) broadcasts to `shape`: 'leading' if only a leading block
 * of dims (of size > 1) is broadcast, 'trailing' if only a trailing block is, null otherwise.
 */
export function broadcastPattern(reduced: number[], shape: number[]): 'leading' | 'trailing' | null {
  if (reduced.length !== shape.length) return null;
  const broadcast = shape.map((d, i) => d !== 1 && reduced[i] === 1);
  const big = shape.map((d) => d !== 1);
  const bIdx = broadcast.flatMap((b, i) => (b ? [i] : []));
  const kIdx = big.flatMap((b, i) => (b && !broadcast[i] ? [i] : []));
  if (bIdx.length === 0) return null;
  if (kIdx.length === 0 || bIdx[bIdx.length - 1] < kIdx[0]) return 'leading';
  if (kIdx[kIdx.length - 1] < bIdx[0]) return 'trailing';
  return null;
}

const broadcastReducedKernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const wasm = backend as WasmBackend;
  const { dy } = inputs as { dy: TensorInfo };
  const { shape, divisor } = attrs as unknown as { shape: number[]; divisor: number };
  const pattern = broadcastPattern(dy.shape, shape);
  if (pattern == null) throw new Error(`${BROADCAST_REDUCED}: [${dy.shape}] is not a leading/trailing reduction of [${shape}]`);
  const out = wasm.makeOutput(shape, 'float32');
  const src = heapF32(wasm, dy);
  const dst = heapF32(wasm, out);
  const K = src.length;
  const total = dst.length;
  if (total === 0) return out;
  if (pattern === 'leading') {
    for (let k = 0; k < K; k++) dst[k] = src[k] / divisor;
    // Doubling: [0, n) -> [n, 2n) until full; each step is one memmove.
    for (let filled = K; filled < total; filled *= 2) dst.copyWithin(filled, 0, Math.min(filled, total - filled));
  } else {
    const run = total / K;
    for (let k = 0; k < K; k++) dst.fill(src[k] / divisor, k * run, (k + 1) * run);
  }
  return out;
};

let enabled = true;

/** Switches the wasm path on or off at runtime (on once registered); for before/after profiles. */
export function setReductionGradsEnabled(on: boolean): void {
  enabled = on;
}

/** Overrides the gradient of Sum or Mean (kept registered by ./gradient-override.ts). */
function override(kernelName: 'Sum' | 'Mean'): void {
  overrideGradient(kernelName, (upstream): GradConfig => shapesOnly({
    kernelName,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const d = dy as Tensor;
      if (!enabled || engine().backendName !== 'wasm' || x.dtype !== 'float32' || d.dtype !== 'float32') {
        return upstream().gradFunc(dy, saved, attrs);
      }
      const axes = util.parseAxisParam((attrs as { axis: number | number[] }).axis, x.shape);
      const reduced = x.shape.map((s, i) => (axes.includes(i) ? 1 : s));
      if (broadcastPattern(reduced, x.shape) == null) return upstream().gradFunc(dy, saved, attrs);
      const reduceSize = axes.reduce((p, a) => p * x.shape[a], 1);
      const dyKeep = reshape(d, reduced);
      const dx = engine().runKernel(BROADCAST_REDUCED, { dy: dyKeep }, {
        shape: x.shape,
        divisor: kernelName === 'Mean' ? reduceSize : 1,
      } as unknown as NamedAttrMap) as Tensor;
      return { x: () => dx };
    },
  }));
}

/** Registers the broadcast kernel on wasm and the Sum / Mean gradient overrides. Idempotent. */
export function registerReductionGrads(): void {
  if (getKernel(BROADCAST_REDUCED, 'wasm') == null) {
    registerKernel({ kernelName: BROADCAST_REDUCED, backendName: 'wasm', kernelFunc: broadcastReducedKernel });
  }
  override('Sum');
  override('Mean');
}
