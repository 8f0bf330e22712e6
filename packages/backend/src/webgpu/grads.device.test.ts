/**
 * Gradients of the layers the report's nets train (conv, depthwise conv, max / average pooling, BatchNorm) on the
 * webgpu backend against the cpu backend. Each is the gradient of sum(op(x) * r) with a fixed random r, so every
 * output position is weighted differently. Tolerance: 1e-4 of the largest magnitude (float32 sums in another
 * order), as the wasm kernels are held to.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, it } from 'vitest';
import { announce, expectWebGpuParity, webgpuSkipReason } from './test-utils/device.js';

announce('grads.device.test');
const figures: string[] = [];
const RTOL = 1e-4;

/** d/d(inputs) of sum(op(...inputs) * r), r seeded; inputs seeded N(0, 1) of the given shapes. */
function gradsOf(shapes: number[][], op: (...xs: tf.Tensor[]) => tf.Tensor, seed: number) {
  return () => {
    const xs = shapes.map((s, i) => tf.randomNormal(s, 0, 1, 'float32', seed + i));
    const outShape = op(...xs).shape;
    const r = tf.randomNormal(outShape, 0, 1, 'float32', seed + 99);
    return tf.grads((...args: tf.Tensor[]) => tf.sum(tf.mul(op(...args), r)))(xs);
  };
}

type Pad = 'same' | 'valid';

describe.skipIf(webgpuSkipReason != null)('gradients on webgpu match the cpu backend', () => {
  afterAll(() => console.info(`webgpu vs cpu gradients, worst relative error:\n  ${figures.join('\n  ')}`));

  const convCases: { x: number[]; k: number; co: number; s: number; pad: Pad }[] = [
    { x: [2, 9, 11, 3], k: 3, co: 4, s: 1, pad: 'same' },
    { x: [2, 9, 11, 5], k: 3, co: 3, s: 2, pad: 'same' },
    { x: [1, 10, 8, 4], k: 3, co: 5, s: 2, pad: 'valid' },
    { x: [3, 7, 7, 6], k: 1, co: 4, s: 1, pad: 'valid' },
    { x: [1, 13, 15, 3], k: 7, co: 4, s: 2, pad: 'same' },
  ];
  it.each(convCases)('conv2d x $x k $k co $co stride $s $pad: dx, dw', async (c) => {
    const err = await expectWebGpuParity(
      gradsOf([c.x, [c.k, c.k, c.x[3], c.co]], (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.s, c.pad), 10),
      RTOL,
    );
    figures.push(`conv2d ${c.x.join('x')} k${c.k} s${c.s} ${c.pad}: ${err.toExponential(1)}`);
  });

  it('fused conv2d + bias + relu (the tf.layers path): dx, dw, db', async () => {
    const err = await expectWebGpuParity(
      gradsOf([[2, 8, 8, 3], [3, 3, 3, 6], [6]], (x, w, b) =>
        tf.fused.conv2d({ x: x as tf.Tensor4D, filter: w as tf.Tensor4D, strides: 1, pad: 'same', bias: b, activation: 'relu' }), 20),
      RTOL,
    );
    figures.push(`fused conv2d+bias+relu: ${err.toExponential(1)}`);
  });

  it.each([
    { x: [2, 9, 9, 4], k: 3, m: 1, s: 1, pad: 'same' as Pad },
    { x: [1, 10, 11, 3], k: 3, m: 2, s: 2, pad: 'valid' as Pad },
  ])('depthwiseConv2d x $x k $k multiplier $m stride $s $pad: dx, dw', async (c) => {
    const err = await expectWebGpuParity(
      gradsOf([c.x, [c.k, c.k, c.x[3], c.m]], (x, w) => tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.s, c.pad), 30),
      RTOL,
    );
    figures.push(`depthwiseConv2d ${c.x.join('x')} k${c.k} m${c.m} s${c.s}: ${err.toExponential(1)}`);
  });

  it.each([
    { pool: 'max' as const, x: [2, 8, 8, 3], k: 2, s: 2, pad: 'valid' as Pad },
    { pool: 'max' as const, x: [1, 9, 9, 4], k: 3, s: 2, pad: 'same' as Pad },
    { pool: 'avg' as const, x: [2, 8, 8, 3], k: 2, s: 2, pad: 'valid' as Pad },
    { pool: 'avg' as const, x: [1, 9, 9, 4], k: 3, s: 1, pad: 'same' as Pad },
  ])('$pool pool x $x k $k stride $s $pad: dx', async (c) => {
    const f = c.pool === 'max' ? tf.maxPool : tf.avgPool;
    const err = await expectWebGpuParity(gradsOf([c.x], (x) => f(x as tf.Tensor4D, c.k, c.s, c.pad), 40), RTOL);
    figures.push(`${c.pool}Pool ${c.x.join('x')} k${c.k} s${c.s} ${c.pad}: ${err.toExponential(1)}`);
  });

  it('global average pooling (mean over H, W): dx', async () => {
    const err = await expectWebGpuParity(gradsOf([[2, 5, 5, 6]], (x) => tf.mean(x, [1, 2]), 50), RTOL);
    figures.push(`mean over H,W: ${err.toExponential(1)}`);
  });

  it('BatchNorm in training (batch moments): dx, dscale, doffset', async () => {
    const err = await expectWebGpuParity(
      gradsOf([[4, 6, 6, 8], [8], [8]], (x, scale, offset) => {
        const { mean, variance } = tf.moments(x, [0, 1, 2]);
        return tf.batchNorm(x, mean, variance, offset, tf.add(scale, 1), 1e-3);
      }, 60),
      RTOL,
    );
    figures.push(`batchNorm (training): ${err.toExponential(1)}`);
  });
});
