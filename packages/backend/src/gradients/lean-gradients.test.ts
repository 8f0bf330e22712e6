import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { setupBackends } from '../kernels/misc/test-utils/backends.js';
import { classifierNet, denseNet, mulberry32, TEST_NETS } from '../kernels/misc/test-utils/nets.js';
import { leanGradientsEnabled, setLeanGradientsEnabled } from './lean-gradients.js';
import { peakBufferBytes } from '../diagnostics/peak-memory.js';
import { setShapeOnlySavesEnabled } from './shape-only-saves.js';

type Gradients = (...args: unknown[]) => { value: tf.Tensor; grads: tf.Tensor[] };

/**
 * Runs `run` with every gradient pass recorded: the values of all gradients each `engine.gradients` call returned,
 * and the peak bytes of tensor buffers held at once (./test-utils/peak-memory.ts).
 */
async function record(run: () => Promise<unknown>): Promise<{ grads: (Float32Array | null)[]; peakBytes: number }> {
  const e = tf.engine() as unknown as { gradients: Gradients };
  const inner = e.gradients;
  const grads: (Float32Array | null)[] = [];
  e.gradients = function (this: unknown, ...args: unknown[]) {
    const out = inner.apply(this, args);
    // Variables of other nets (minimize() without a var list takes every trainable variable) get no gradient.
    for (const g of out.grads) if (g != null) grads.push(g.dataSync() as Float32Array);
    return out;
  };
  try {
    const { peakBytes } = await peakBufferBytes(run);
    return { grads, peakBytes };
  } finally {
    delete (e as unknown as Record<string, unknown>).gradients;
    if (leanGradientsEnabled()) {
      setLeanGradientsEnabled(false);
      setLeanGradientsEnabled(true);
    }
  }
}

/**
 * One training step of a fresh test net with the stock or the lean pass. The weights are the same every time:
 * tfjs' initialisers draw their seeds from Math.random, seeded here while the net is built.
 */
async function step(name: string, lean: boolean) {
  setLeanGradientsEnabled(lean);
  setShapeOnlySavesEnabled(lean);
  const random = Math.random;
  Math.random = mulberry32(42);
  let net: ReturnType<(typeof TEST_NETS)[string]>;
  try {
    // The cpu backend's DenseNet step at test size takes ~20 s on a loaded 2-core machine: a narrower one there.
    net = name === 'DenseNet' && tf.getBackend() === 'cpu' ? classifierNet('DenseNet', denseNet(8, 4), 2) : TEST_NETS[name](2);
  } finally {
    Math.random = random;
  }
  try {
    await net.step(); // creates the optimizer's slots (Adam's moments), which stay
    const before = tf.memory().numTensors;
    const r = await record(() => net.step());
    return { ...r, leaked: tf.memory().numTensors - before };
  } finally {
    net.dispose();
  }
}

describe('the memory-lean backward pass (issue 19, item 1)', () => {
  beforeAll(setupBackends);
  afterEach(() => {
    setLeanGradientsEnabled(true);
    setShapeOnlySavesEnabled(true);
  });

  for (const backend of ['cpu', 'wasm'] as const) {
    it.each(['CustomNet', 'ResNet', 'DenseNet', 'RetinaNet'])(
      `gives the stock pass's gradients bit for bit on ${backend}, leaks nothing and peaks lower: %s`,
      async (name) => {
        await tf.setBackend(backend);
        const stock = await step(name, false);
        const lean = await step(name, true);
        expect(lean.grads.length).toBe(stock.grads.length);
        expect(lean.grads.length).toBeGreaterThan(0);
        const bytes = (g: Float32Array | null) => (g == null ? null : Buffer.from(g.buffer, g.byteOffset, g.byteLength));
        lean.grads.forEach((g, i) => {
          const [a, b] = [bytes(g), bytes(stock.grads[i])];
          expect(a == null ? b == null : b != null && a.equals(b), `gradient ${i}`).toBe(true);
        });
        expect(stock.leaked).toBe(0);
        expect(lean.leaked).toBe(0);
        expect(lean.peakBytes).toBeLessThan(stock.peakBytes);
      },
      120_000,
    );
  }

  it('disposes the tape and its saved tensors when the backward pass throws (the stock pass leaks them)', async () => {
    await tf.setBackend('cpu');
    const leakOf = (lean: boolean) => {
      setLeanGradientsEnabled(lean);
      const x = tf.tensor1d([1, 2, 3]);
      const before = tf.memory().numTensors;
      const failing = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
        value: tf.square(args[0] as tf.Tensor),
        gradFunc: () => {
          throw new Error('gradient failed');
        },
      }));
      expect(() => tf.grad((a: tf.Tensor) => tf.sum(tf.exp(failing(a) as tf.Tensor)))(x)).toThrow('gradient failed');
      const leaked = tf.memory().numTensors - before;
      x.dispose();
      return leaked;
    };
    expect(leakOf(false)).toBeGreaterThan(0);
    expect(leakOf(true)).toBe(0);
  });

  it('frees each activation gradient once its producer has run: a chain of n ops peaks at a few tensors, not n', async () => {
    await tf.setBackend('cpu');
    const peakOf = async (lean: boolean) => {
      setLeanGradientsEnabled(lean);
      const x = tf.randomNormal([1000], 0, 1, 'float32', 1);
      const info = await peakBufferBytes(() =>
        tf.grad((a: tf.Tensor) => {
          let h = a;
          for (let i = 0; i < 20; i++) h = tf.sin(h); // Sin saves its input: one 4 KB buffer per op
          return tf.sum(h);
        })(x),
      );
      tf.dispose([x, info.result]);
      return info.peakBytes / 4000;
    };
    const stock = await peakOf(false);
    const lean = await peakOf(true);
    // Stock: 20 saved inputs + 20 activation gradients (+ temporaries) at the end; lean frees both as it goes.
    expect(stock).toBeGreaterThanOrEqual(40);
    expect(lean).toBeLessThanOrEqual(25);
  });

  it('keeps the gradients it returns and the caller\'s dy', async () => {
    await tf.setBackend('cpu');
    setLeanGradientsEnabled(true);
    const x = tf.tensor1d([1, 2, 3]);
    const dy = tf.tensor1d([1, 1, 1]);
    // Identity-like gradients hand dy back: the returned gradient may be dy's own object.
    const [g] = tf.grads((a: tf.Tensor) => tf.add(a, tf.scalar(0)))([x], dy);
    expect(dy.isDisposed).toBe(false);
    expect(Array.from(await g.data())).toEqual([1, 1, 1]);
    tf.dispose([x, dy, g]);
  });
});
