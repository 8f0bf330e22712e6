import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { setupBackends } from './test-utils/backends.js';

describe('Identity on wasm shares data', () => {
  beforeAll(async () => {
    await setupBackends();
    await tf.setBackend('wasm');
  });

  // Backend-level counts: tf.memory().numBytes counts per tensor, shared or not.
  const dataIds = () => (tf.backend() as unknown as { numDataIds(): number }).numDataIds();

  it('clones without allocating, and a clone outlives its source', () => {
    const x = tf.tensor2d([[1, 2], [3, 4]]);
    const before = dataIds();
    const y = tf.clone(x);
    expect(dataIds()).toBe(before);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3, 4]);
    y.dispose();
    expect(dataIds()).toBe(before - 1);
  });

  it('frees the data once the last sharer is disposed', () => {
    const before = dataIds();
    const x = tf.tensor1d([1, 2, 3], 'int32');
    const y = tf.clone(x);
    const z = tf.clone(y);
    x.dispose();
    y.dispose();
    expect(dataIds()).toBe(before + 1);
    expect(Array.from(z.dataSync())).toEqual([1, 2, 3]);
    z.dispose();
    expect(dataIds()).toBe(before);
  });

  it('casts to the same dtype without allocating, to another dtype by converting', () => {
    const x = tf.tensor1d([1.5, -2.5, 0]);
    const before = dataIds();
    const same = tf.cast(x, 'float32');
    expect(dataIds()).toBe(before);
    const int = tf.cast(x, 'int32');
    expect(dataIds()).toBe(before + 1);
    expect(int.dtype).toBe('int32');
    expect(Array.from(int.dataSync())).toEqual([1, -2, 0]);
    x.dispose();
    expect(Array.from(same.dataSync())).toEqual([1.5, -2.5, 0]);
    tf.dispose([same, int]);
  });

  it('casts numbers to bool as x != 0 (upstream wasm wrapped them into a byte)', async () => {
    const values = [0.5, 256, -1, 0, NaN, -0];
    const wasm = tf.tidy(() => Array.from(tf.cast(tf.tensor1d(values), 'bool').dataSync()));
    const wasmInt = tf.tidy(() => Array.from(tf.cast(tf.tensor1d([512, 0, -3], 'int32'), 'bool').dataSync()));
    await tf.setBackend('cpu');
    const cpu = tf.tidy(() => Array.from(tf.cast(tf.tensor1d(values), 'bool').dataSync()));
    await tf.setBackend('wasm');
    expect(wasm).toEqual([1, 1, 1, 0, 1, 0]);
    expect(wasm).toEqual(cpu);
    expect(wasmInt).toEqual([1, 0, 1]);
  });

  it('keeps a variable independent of the tensor it was assigned from', () => {
    const v = tf.variable(tf.tensor1d([1, 2]));
    const t = tf.tensor1d([5, 6]);
    v.assign(t);
    t.dispose();
    v.assign(tf.add(v, 1) as tf.Tensor1D);
    expect(Array.from(v.dataSync())).toEqual([6, 7]);
    v.dispose();
  });
});
