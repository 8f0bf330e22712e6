import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { setupBackends } from '../kernels/misc/test-utils/backends.js';
import { isGradientOverridden } from '../kernels/misc/gradient-override.js';
import { SHAPES_ONLY, setShapeOnlySavesEnabled } from './shape-only-saves.js';

/** Buffers a gradient keeps alive from `op`'s inputs: made inside, disposed at once, counted while taped. */
function keptBuffers(op: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor): number {
  const x = tf.randomNormal([2, 3, 4], 0, 1, 'float32', 3);
  const two = tf.scalar(2);
  let kept = 0;
  const g = tf.grad((a: tf.Tensor) => {
    const before = tf.memory().numDataBuffers;
    const pre = tf.mul(a, two); // Mul saves its operands: a, two (made outside)
    const other = tf.mul(a, two);
    const y = tf.tidy(() => op(pre, other)); // op's intermediates go; what its gradients saved stays
    pre.dispose();
    other.dispose();
    kept = tf.memory().numDataBuffers - before;
    return tf.sum(y);
  })(x);
  tf.dispose([x, two, g]);
  return kept;
}

describe('shapes instead of tensors for Add / Sub / Reshape / Sum / Mean gradients (issue 19, item 1)', () => {
  beforeAll(setupBackends);

  it('are installed, and keep no input buffer alive', async () => {
    await tf.setBackend('cpu');
    for (const k of ['Add', 'Sub', 'Reshape', 'Concat', 'Sum', 'Mean']) {
      expect(isGradientOverridden(k), k).toBe(true);
      expect((tf.getGradient(k) as unknown as Record<symbol, boolean>)[SHAPES_ONLY], k).toBe(true);
    }
    // Only y's buffer survives (the stock gradients also kept the inputs': 3 for Add / Sub / Concat, 2 for
    // Reshape, whose output shares its input's buffer but is gone once Exp has run).
    expect(keptBuffers((a, b) => tf.add(a, b))).toBe(1);
    expect(keptBuffers((a, b) => tf.sub(a, b))).toBe(1);
    expect(keptBuffers((a, b) => tf.concat([a, b], 1))).toBe(1);
    expect(keptBuffers((a) => tf.exp(tf.reshape(a, [6, 4])))).toBe(1);
    // The same gradients with real tensors saved (the engine wrappers off): what upstream keeps.
    setShapeOnlySavesEnabled(false);
    try {
      expect(keptBuffers((a, b) => tf.add(a, b))).toBe(3);
      expect(keptBuffers((a, b) => tf.concat([a, b], 1))).toBe(3);
      expect(keptBuffers((a) => tf.exp(tf.reshape(a, [6, 4])))).toBe(2);
    } finally {
      setShapeOnlySavesEnabled(true);
    }
  });

  it('give the stock gradients bit for bit, broadcasting included, on cpu and wasm', async () => {
    for (const backend of ['cpu', 'wasm']) {
      await tf.setBackend(backend);
      const a = tf.randomNormal([2, 3, 4], 0, 1, 'float32', 1);
      const b = tf.randomNormal([3, 1], 0, 1, 'float32', 2);
      const dy = tf.randomNormal([2, 3, 4], 0, 1, 'float32', 4);
      const [da, db] = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.reshape(tf.sub(tf.add(p, q), tf.mul(q, 3)), [2, 3, 4]))([a, b], dy);
      const [dc] = tf.grads((p: tf.Tensor) => tf.concat([p, tf.exp(p)], 2))([a], tf.concat([dy, dy], 2));
      const expC = tf.add(dy, tf.mul(dy, tf.exp(a)));
      expect(Array.from(await dc.data())).toEqual(Array.from(await expC.data()));
      tf.dispose([dc, expC]);
      // Stock formulas: d/da = dy; d/db = sum of dy over the broadcast axes (0, 2), times (1 - 3).
      const expA = dy;
      const sumDy = tf.reshape(tf.sum(dy, [0, 2]), [3, 1]);
      const expB = tf.add(sumDy, tf.reshape(tf.neg(tf.mul(sumDy, 3)), [3, 1]));
      expect(Array.from(await da.data())).toEqual(Array.from(await expA.data()));
      expect(Array.from(await db.data())).toEqual(Array.from(await expB.data()));
      tf.dispose([a, b, dy, da, db, sumDy, expB]);
    }
  });

  it("hands a user's own gradient real tensors", async () => {
    await tf.setBackend('cpu');
    let seen: number[] = [];
    tf.registerGradient({
      kernelName: 'Add',
      inputsToSave: ['a', 'b'],
      gradFunc: (dy, saved) => {
        seen = Array.from(saved[0].dataSync());
        return { a: () => tf.mul(dy as tf.Tensor, 1), b: () => tf.mul(dy as tf.Tensor, 1) };
      },
    });
    expect(isGradientOverridden('Add')).toBe(false);
    const g = tf.grad((a: tf.Tensor) => tf.sum(tf.add(a, tf.scalar(1))))(tf.tensor1d([5, 6]));
    expect(seen).toEqual([5, 6]);
    expect(Array.from(await g.data())).toEqual([1, 1]);
  });
});
