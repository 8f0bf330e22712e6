import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peakBufferBytes } from '../diagnostics/peak-memory.js';
import { adamUpdateKernel } from '../kernels/misc/adam-update.js';
import { registerWasmTrainingKernels } from '../kernels/register.js';
import { leanOptimizer, setLeanAdamEnabled } from './lean-adam.js';

/**
 * Two Adam steps on 20 variables of 10,000 values and one of 91 (not a multiple of 4: the fused kernel's scalar
 * tail), the same values every time; the variables' bytes after.
 */
async function twoSteps(lean: boolean): Promise<{ values: Buffer; peakBytes: number; leaked: number }> {
  setLeanAdamEnabled(lean);
  const vars = Array.from({ length: 21 }, (_, i) => tf.variable(tf.randomNormal(i < 20 ? [100, 100] : [7, 13], 0, 1, 'float32', i + 1)));
  const optimizer = leanOptimizer(tf.train.adam(0.01));
  const loss = () => tf.addN(vars.map((v, i) => tf.sum(tf.mul(tf.square(v), i + 1)))) as tf.Scalar;
  optimizer.minimize(loss); // creates the moment slots
  const before = tf.memory().numTensors;
  const { peakBytes } = await peakBufferBytes(() => optimizer.minimize(loss));
  const leaked = tf.memory().numTensors - before;
  const values = Buffer.concat(vars.map((v) => Buffer.from((v.dataSync() as Float32Array).buffer.slice(0))));
  optimizer.dispose();
  tf.dispose(vars);
  return { values, peakBytes, leaked };
}

describe.each(['cpu', 'wasm'])("Adam's update one variable at a time (issue 19, item 1) on %s", (backend) => {
  beforeAll(async () => {
    registerWasmTrainingKernels();
    await tf.setBackend(backend);
  });
  afterAll(() => setLeanAdamEnabled(true));

  it('runs as one fused kernel per variable on wasm only', () => {
    expect(adamUpdateKernel()).toBe(backend === 'wasm');
  });

  it('leaves the variables bit-identical to upstream Adam, leaks nothing, and holds one variable of temporaries', async () => {
    const stock = await twoSteps(false);
    const lean = await twoSteps(true);
    expect(lean.values.equals(stock.values)).toBe(true);
    expect(stock.leaked).toBe(0);
    expect(lean.leaked).toBe(0);
    // 20 variables of 40 KB: upstream keeps ~11 temporaries of each until the end (> 8 MB); lean ~11 of one, so
    // its peak is the gradient pass's (forward activations and 20 gradients: ~5 MB).
    const variable = 100 * 100 * 4;
    expect(stock.peakBytes).toBeGreaterThan(20 * 8 * variable);
    expect(lean.peakBytes).toBeLessThan(stock.peakBytes / 2);
  });
});
