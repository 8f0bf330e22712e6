import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { isGradientOverridden } from './gradient-override.js';
import { registerReluGradFromOutput } from './relu-grad.js';
import { setupBackends } from './test-utils/backends.js';

describe("Relu's gradient from its output", () => {
  beforeAll(async () => {
    await setupBackends();
    registerReluGradFromOutput();
  });

  it('is installed, and equals dy * step(x) bit for bit on cpu and wasm, zeros, negatives and NaN included', async () => {
    expect(isGradientOverridden('Relu')).toBe(true);
    const xs = new Float32Array([-2, -0, 0, 1e-30, 3.5, Number.NaN, -1e-30, 7]);
    const dys = new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]);
    for (const backend of ['cpu', 'wasm']) {
      await tf.setBackend(backend);
      const x = tf.tensor1d(xs);
      const dy = tf.tensor1d(dys);
      const [dx] = tf.grads((a: tf.Tensor) => tf.relu(a))([x], dy);
      // tfjs-core's stock formula (gradients/Relu_grad.ts), on the input.
      const expected = tf.mul(dy, tf.cast(tf.step(x), 'float32'));
      expect(Array.from(await dx.data())).toEqual(Array.from(await expected.data()));
      expect(Array.from(await dx.data())).toEqual([0, 0, 0, 4, 5, Number.NaN, 0, 8]);
      tf.dispose([x, dy, dx, expected]);
    }
  });

  it("does not keep Relu's input for the backward pass", async () => {
    await tf.setBackend('cpu');
    const x = tf.randomNormal([1000], 0, 1, 'float32', 3);
    const two = tf.scalar(2); // made outside: Mul's gradient saves its operands
    let kept = 0;
    const g = tf.grad((a: tf.Tensor) => {
      const before = tf.memory().numDataBuffers;
      const pre = tf.mul(a, two); // what a BatchNorm or an Add would hand the Relu
      const y = tf.relu(pre);
      pre.dispose(); // tape or no tape, only what the gradient saved survives this
      kept = tf.memory().numDataBuffers - before;
      return tf.sum(y);
    })(x);
    // Only the output's buffer (saved tensors share it); the stock gradient kept the input's buffer too.
    expect(kept).toBe(1);
    expect(Array.from(await g.data()).every((v, i) => v === (x.dataSync()[i] > 0 ? 2 : 0))).toBe(true);
    tf.dispose([x, g, two]);
  });
});
