/**
 * A fused BatchNorm gradient for the wasm backend.
 *
 * tfjs-core's FusedBatchNorm gradient (gradients/FusedBatchNorm_grad.ts) builds dx as
 * `dy * tile(rsqrt(var + eps), x.shape) * scale`: it materialises a full [N, H, W, C] copy of the per-channel
 * factor with Tile, then runs two full-size multiplies, and three more full-size multiplies plus reductions for the
 * mean / variance / scale gradients. On wasm that Tile alone was 446 ms of a 1.8 s CustomNet batch (issue 3).
 *
 * With r = 1 / sqrt(var + eps), s = scale (1 when absent) and sums over every axis but the channel axis,
 *   dx       = dy * r * s                            (per element)
 *   dMean    = -r * s * sum(dy)
 *   dVar     = -0.5 * r^3 * s * sum(dy * (x - mean))
 *   dScale   = r * sum(dy * (x - mean))
 *   dOffset  = sum(dy)
 * which are exactly the upstream formulas (mean / variance are separate inputs there too: their own gradient flows
 * on to tf.moments). Both per-channel sums come from one float64 pass over (dy, x) on the heap
 * (./wasm-ops.ts), dx from one broadcasting XNNPACK multiply: no Tile and no full-size temporaries.
 *
 * The override is registered for 'FusedBatchNorm' through ./gradient-override.ts, which keeps it registered when
 * another copy of the stock gradients is registered later (tfjs' Node bundle does that when it is loaded). The
 * gradient function is looked up when
 * the forward kernel is taped, and our function dispatches at backward time: the fused kernel when the active
 * backend is wasm and the layout is the common one (x float32 with channels last, mean / variance / scale / offset
 * rank-1 of length C), the saved upstream function otherwise, so other backends see no change.
 */
import {
  engine,
  getKernel,
  registerKernel,
  util,
  type GradConfig,
  type KernelFunc,
  type NamedAttrMap,
  type Tensor,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { heapF32, release, runWasmKernel, type WasmBackend } from '../wasm-internals.js';
import { columnSumsCentered } from './wasm-ops.js';
import { overrideGradient } from './gradient-override.js';

/** Name of the fused gradient kernel (ours; not a tfjs-core kernel name). */
export const FUSED_BATCH_NORM_GRAD = 'DbFusedBatchNormGrad';

const fusedBatchNormGradKernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const wasm = backend as WasmBackend;
  const { dy, x, mean, variance, scale } = inputs as Record<string, TensorInfo | undefined> as {
    dy: TensorInfo;
    x: TensorInfo;
    mean: TensorInfo;
    variance: TensorInfo;
    scale?: TensorInfo;
  };
  const eps = Number((attrs as { varianceEpsilon: number }).varianceEpsilon);
  const C = mean.shape[0];
  const rows = util.sizeFromShape(x.shape) / C;

  // Per-channel factor r * s, rounded as the upstream float32 kernels round add(variance, eps) and rsqrt.
  const factor = wasm.makeOutput([C], 'float32');
  const r = new Float64Array(C);
  {
    const varV = heapF32(wasm, variance);
    const scaleV = scale == null ? null : heapF32(wasm, scale);
    const f = heapF32(wasm, factor);
    for (let c = 0; c < C; c++) {
      r[c] = Math.fround(1 / Math.sqrt(Math.fround(varV[c] + eps)));
      f[c] = r[c] * (scaleV == null ? 1 : scaleV[c]);
    }
  }
  // dx = dy * (r * s) broadcast over channels: XNNPACK's broadcasting multiply, no Tile.
  const dx = runWasmKernel(wasm, 'Multiply', { a: dy, b: factor });
  release(wasm, factor);
  const dMeanInfo = wasm.makeOutput([C], 'float32');
  const dVarInfo = wasm.makeOutput([C], 'float32');
  const dScaleInfo = wasm.makeOutput([C], 'float32');
  const dOffsetInfo = wasm.makeOutput([C], 'float32');
  // Views only after the last allocation (a malloc may grow the heap and detach earlier views).
  const [sDy, sDyXc] = columnSumsCentered(heapF32(wasm, dy), heapF32(wasm, x), heapF32(wasm, mean), rows, C);
  const scaleV = scale == null ? null : heapF32(wasm, scale);
  const dMean = heapF32(wasm, dMeanInfo);
  const dVar = heapF32(wasm, dVarInfo);
  const dScale = heapF32(wasm, dScaleInfo);
  const dOffset = heapF32(wasm, dOffsetInfo);
  for (let c = 0; c < C; c++) {
    const s = scaleV == null ? 1 : scaleV[c];
    dMean[c] = -r[c] * s * sDy[c];
    dVar[c] = -0.5 * r[c] * r[c] * r[c] * s * sDyXc[c];
    dScale[c] = r[c] * sDyXc[c];
    dOffset[c] = sDy[c];
  }
  dx.shape = x.shape;
  return [dx, dMeanInfo, dVarInfo, dScaleInfo, dOffsetInfo];
};

let fusedEnabled = true;

/**
 * Switches the fused path on or off at runtime (on by default once registered); off means every backend uses the
 * upstream formulation. For before/after profiles in one process.
 */
export function setFusedBatchNormGradEnabled(enabled: boolean): void {
  fusedEnabled = enabled;
}

function isChannelVector(t: Tensor | undefined, C: number): boolean {
  return t == null || (t.dtype === 'float32' && t.rank === 1 && t.shape[0] === C);
}

/** Registers the fused kernel on wasm and overrides FusedBatchNorm's gradient. Idempotent. */
export function registerFusedBatchNormGrad(): void {
  if (getKernel(FUSED_BATCH_NORM_GRAD, 'wasm') == null) {
    registerKernel({ kernelName: FUSED_BATCH_NORM_GRAD, backendName: 'wasm', kernelFunc: fusedBatchNormGradKernel });
  }
  overrideGradient('FusedBatchNorm', (upstream): GradConfig => ({
    kernelName: 'FusedBatchNorm',
    inputsToSave: ['x', 'mean', 'variance', 'scale'],
    gradFunc: (dy, saved, attrs) => {
      const [x, mean, variance, scale] = saved as (Tensor | undefined)[] as [Tensor, Tensor, Tensor, Tensor | undefined];
      const C = x.shape[x.rank - 1];
      const fused =
        fusedEnabled &&
        engine().backendName === 'wasm' &&
        !Array.isArray(dy) &&
        (dy as Tensor).dtype === 'float32' &&
        x.dtype === 'float32' &&
        mean.rank === 1 &&
        isChannelVector(mean, C) &&
        isChannelVector(variance, C) &&
        isChannelVector(scale, C);
      if (!fused) return upstream().gradFunc(dy, saved, attrs);
      const inputs: Record<string, Tensor> = { dy: dy as Tensor, x, mean, variance };
      if (scale != null) inputs.scale = scale;
      const [dx, dMean, dVar, dScale, dOffset] = engine().runKernel(
        FUSED_BATCH_NORM_GRAD,
        inputs,
        { varianceEpsilon: (attrs as NamedAttrMap).varianceEpsilon } as NamedAttrMap,
      ) as Tensor[];
      return { x: () => dx, mean: () => dMean, variance: () => dVar, scale: () => dScale, offset: () => dOffset };
    },
  }));
}
