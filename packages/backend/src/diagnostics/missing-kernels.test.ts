import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { kernelsMissingOn, recordKernels } from './missing-kernels.js';

describe('kernelsMissingOn', () => {
  // A backend name with a single kernel registered (Add, borrowed from cpu): everything else is missing there.
  tf.registerKernel({ ...tf.getKernel('Add', 'cpu')!, backendName: 'only-add' });
  afterAll(() => tf.unregisterKernel('Add', 'only-add'));

  it('lists the kernels a computation runs, forward and backward, that a backend lacks', async () => {
    await tf.setBackend('cpu');
    const a = tf.tensor1d([1, 2, 3]);
    const missing = await kernelsMissingOn('only-add', () => {
      const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.add(x, 1), x)))(a);
      g.dispose();
    });
    // Add is registered; Multiply and Sum (forward) and the gradient's kernels are not.
    expect(missing).not.toContain('Add');
    expect(missing).toEqual(expect.arrayContaining(['Multiply', 'Sum']));
    expect(missing).toEqual([...missing].sort());
    a.dispose();
  });

  it('records every kernel once, returns the result and restores the engine', async () => {
    const engine = tf.engine();
    const before = engine.runKernel;
    const { result, kernels } = await recordKernels(() => tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(2)).arraySync()));
    expect(result).toBe(3);
    expect([...kernels]).toEqual(['Add']);
    expect(engine.runKernel).toBe(before);
    await expect(recordKernels(() => { throw new Error('boom'); })).rejects.toThrow('boom');
    expect(engine.runKernel).toBe(before);
  });
});
