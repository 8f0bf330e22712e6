import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectParity, setupBackends } from './test-utils/backends.js';
import { BROADCAST_REDUCED, broadcastPattern } from './reduction-grads.js';

describe('broadcastPattern', () => {
  it('classifies leading / trailing reductions, ignoring size-1 dims', () => {
    expect(broadcastPattern([1, 1, 1, 8], [4, 5, 6, 8])).toBe('leading');
    expect(broadcastPattern([1, 5, 6, 8], [4, 5, 6, 8])).toBe('leading');
    expect(broadcastPattern([4, 5, 1, 1], [4, 5, 6, 8])).toBe('trailing');
    expect(broadcastPattern([1, 1, 1, 1], [4, 5, 6, 8])).toBe('leading');
    expect(broadcastPattern([1, 5, 1, 8], [4, 5, 6, 8])).toBeNull();
    expect(broadcastPattern([4, 1, 6, 1], [4, 5, 6, 8])).toBeNull();
    expect(broadcastPattern([1, 1, 8], [4, 1, 8])).toBe('leading');
    expect(broadcastPattern([4, 5], [4, 5])).toBeNull();
  });
});

describe('Sum / Mean gradients on wasm', () => {
  beforeAll(setupBackends);

  it('match cpu for leading, trailing, whole and interleaved reductions', async () => {
    const cases: [number[], number[] | undefined][] = [
      [[3, 4, 5, 6], [0, 1, 2]],
      [[3, 4, 5, 6], [0]],
      [[3, 4, 5, 6], [2, 3]],
      [[3, 4, 5, 6], undefined],
      [[3, 4, 5, 6], [1, 3]],
      [[7, 1, 3], [0, 1]],
    ];
    for (const [i, [shape, axes]] of cases.entries()) {
      await expectParity(() => {
        const x = tf.randomNormal(shape, 0, 1, 'float32', 2 * i + 1);
        const w = tf.randomNormal(tf.sum(x, axes).shape, 0, 1, 'float32', 2 * i + 2);
        return [
          tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.sum(a, axes), w)))(x),
          tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.mean(a, axes), w)))(x),
          tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.mean(a, axes, true), tf.reshape(w, tf.mean(a, axes, true).shape))))(x),
        ];
      });
    }
  });

  it('use the broadcast kernel (no ones, no Multiply) for a per-channel mean on wasm only', async () => {
    const names = async (backend: string) => {
      await tf.setBackend(backend);
      const info = await tf.profile(() => tf.grad((a: tf.Tensor) => tf.sum(tf.square(tf.mean(a, [0, 1, 2]))))(tf.ones([2, 3, 3, 4])));
      (info.result as tf.Tensor).dispose();
      return info.kernels.map((k) => k.name);
    };
    const wasm = await names('wasm');
    const cpu = await names('cpu');
    expect(wasm).toContain(BROADCAST_REDUCED);
    expect(cpu).not.toContain(BROADCAST_REDUCED);
    // Upstream: mul(dy, ones(x.shape)) then RealDiv by the reduced size; ours: neither.
    const count = (names: string[], k: string) => names.filter((n) => n === k).length;
    expect(count(wasm, 'Multiply')).toBeLessThan(count(cpu, 'Multiply'));
    expect(count(wasm, 'RealDiv')).toBeLessThan(count(cpu, 'RealDiv'));
  });
});
