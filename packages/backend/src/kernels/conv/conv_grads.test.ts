import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerConvKernels } from './index.js';
import { setChannelBlocking } from './simd_filter_grad.js';
import { simdKernels, setSimdKernelsEnabled } from '../simd/simd-kernel.js';
import type { WasmBackend } from './wasm_backend.js';
import { axisPhases } from './input_grad_phases.js';
import { convGrads, nonZerosWhereZero, relativeError, seededInts, seededValues } from './test-utils/parity.js';

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];

interface Conv2dCase {
  x: [number, number, number, number];
  k: [number, number];
  co: number;
  strides: [number, number];
  pad: Pad;
}

// Odd and even sizes, batch 1, 1x1/2x2/3x3/5x5/7x7 kernels, strides 1..3, same/valid/explicit padding.
const conv2dCases: Conv2dCase[] = [
  { x: [2, 9, 11, 3], k: [3, 3], co: 4, strides: [1, 1], pad: 'same' },
  { x: [2, 9, 11, 5], k: [3, 3], co: 3, strides: [2, 2], pad: 'same' },
  { x: [1, 10, 8, 4], k: [3, 3], co: 5, strides: [2, 2], pad: 'valid' },
  { x: [3, 7, 7, 6], k: [1, 1], co: 4, strides: [1, 1], pad: 'valid' },
  { x: [2, 9, 9, 4], k: [1, 1], co: 3, strides: [2, 2], pad: 'same' },
  // Strided 1x1 (ResNet's projection shortcuts): the gathered-pixel GEMM; the last one pads past x (general route).
  { x: [2, 8, 8, 5], k: [1, 1], co: 6, strides: [2, 2], pad: 'valid' },
  { x: [1, 7, 6, 3], k: [1, 1], co: 2, strides: [2, 1], pad: 'valid' },
  { x: [1, 4, 5, 3], k: [1, 1], co: 2, strides: [1, 2], pad: [[0, 0], [0, 2], [0, 1], [0, 0]] },
  { x: [1, 13, 15, 3], k: [7, 7], co: 4, strides: [2, 2], pad: 'same' },
  { x: [2, 12, 12, 2], k: [7, 7], co: 3, strides: [1, 1], pad: 'valid' },
  { x: [2, 8, 10, 3], k: [3, 3], co: 2, strides: [1, 1], pad: [[0, 0], [1, 2], [0, 1], [0, 0]] },
  { x: [1, 11, 9, 3], k: [5, 3], co: 2, strides: [2, 1], pad: 'same' },
  { x: [2, 8, 9, 3], k: [2, 2], co: 4, strides: [2, 2], pad: 'valid' },
  { x: [1, 10, 11, 2], k: [4, 4], co: 3, strides: [3, 3], pad: 'same' },
  // Ho*Wo*N above the weight gradient's 8192-deep GEMM limit, so dy's rows are split into groups: 24x24x16 gives
  // 21 + 3 rows, 20x22x24 (stride 2, valid) gives 15 + 5.
  { x: [16, 24, 24, 3], k: [3, 3], co: 4, strides: [1, 1], pad: 'same' },
  { x: [24, 41, 45, 2], k: [3, 3], co: 3, strides: [2, 2], pad: 'valid' },
  // Asymmetric explicit pads, and a leading pad beyond the kernel's reach (some dy rows see only padding).
  { x: [2, 8, 7, 2], k: [3, 3], co: 5, strides: [1, 1], pad: [[0, 0], [2, 0], [1, 1], [0, 0]] },
  { x: [1, 6, 6, 2], k: [3, 3], co: 5, strides: [1, 1], pad: [[0, 0], [3, 1], [0, 0], [0, 0]] },
  // The SIMD weight gradient: taps that read only padding (1x1 and 2x2 maps under a 'same' 3x3), channels in whole
  // 4x8 blocks, an unstrided 1x1 conv (dy rows merged), a strided 1x1 one (sampled pixels), a dilated 'same' conv.
  { x: [3, 1, 1, 8], k: [3, 3], co: 16, strides: [1, 1], pad: 'same' },
  { x: [2, 2, 2, 12], k: [3, 3], co: 8, strides: [1, 1], pad: 'same' },
  { x: [2, 6, 6, 12], k: [1, 1], co: 24, strides: [1, 1], pad: 'valid' },
  { x: [2, 7, 9, 8], k: [1, 1], co: 16, strides: [2, 2], pad: 'valid' },
  { x: [2, 5, 7, 6], k: [5, 5], co: 9, strides: [1, 1], pad: 'same' },
];

/**
 * dx and dw of `conv` on wasm match the cpu backend: same shapes, relative error below 1e-4, and exact zeros wherever
 * the cpu gradient is an empty sum (a stray 1e-40 from uninitialised heap memory passes any relative tolerance).
 */
async function expectGradParity(xShape: number[], wShape: number[], conv: (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor4D, seed: number) {
  const ref = await convGrads('cpu', xShape, wShape, conv, seed);
  const got = await convGrads('wasm', xShape, wShape, conv, seed);
  expect(got.dxShape).toEqual(ref.dxShape);
  expect(got.dwShape).toEqual(ref.dwShape);
  expect(relativeError(got.dx, ref.dx)).toBeLessThan(1e-4);
  expect(relativeError(got.dw, ref.dw)).toBeLessThan(1e-4);
  expect(nonZerosWhereZero(got.dx, ref.dx)).toBe(0);
  expect(nonZerosWhereZero(got.dw, ref.dw)).toBe(0);
}

const label = (c: Conv2dCase) => `x ${c.x.join('x')}, k ${c.k.join('x')}, co ${c.co}, stride ${c.strides.join(',')}, pad ${JSON.stringify(c.pad)}`;

describe('conv2d gradients on wasm match the cpu backend', () => {
  beforeAll(async () => {
    registerConvKernels();
    await tf.setBackend('wasm');
  });

  it.each(conv2dCases.map((c, i) => [label(c), c, i] as const))('%s', async (_name, c, i) => {
    await expectGradParity(c.x, [c.k[0], c.k[1], c.x[3], c.co], (x, w) => tf.conv2d(x, w, c.strides, c.pad), 100 + i);
  });

  it('runs the weight gradient on the SIMD kernel (the memory of this backend is reachable)', () => {
    expect(simdKernels(tf.backend() as unknown as WasmBackend)).not.toBeNull();
  });

  it('gives the gradient of a fused conv2d + bias + relu (the layers path) too', async () => {
    const conv = (x: tf.Tensor4D, w: tf.Tensor4D) =>
      tf.fused.conv2d({ x, filter: w, strides: 2, pad: 'same', bias: tf.fill([w.shape[3]], 0.1), activation: 'relu' });
    const ref = await convGrads('cpu', [2, 9, 9, 3], [3, 3, 3, 4], conv, 7);
    const got = await convGrads('wasm', [2, 9, 9, 3], [3, 3, 3, 4], conv, 7);
    expect(relativeError(got.dx, ref.dx)).toBeLessThan(1e-4);
    expect(relativeError(got.dw, ref.dw)).toBeLessThan(1e-4);
  });

  it('conv2dTranspose (Conv2DBackpropInput as a forward op) matches cpu', async () => {
    const run = async (backend: string) => {
      await tf.setBackend(backend);
      return tf.tidy(() => {
        const dy = tf.tensor4d(Float32Array.from({ length: 2 * 5 * 6 * 4 }, (_, i) => Math.sin(i)), [2, 5, 6, 4]);
        const w = tf.tensor4d(Float32Array.from({ length: 3 * 3 * 3 * 4 }, (_, i) => Math.cos(i)), [3, 3, 3, 4]);
        return tf.conv2dTranspose(dy, w, [2, 9, 11, 3], 2, 'same').dataSync() as Float32Array;
      });
    };
    const ref = await run('cpu');
    const got = await run('wasm');
    expect(relativeError(got, ref)).toBeLessThan(1e-4);
  });
});

// The same cases through the SIMD kernel's channel-blocked layouts (used on its own for deep layers), and through
// the XNNPACK routes it falls back to where it cannot run.
describe.each([
  ['with channel-blocked layouts forced', () => setChannelBlocking('always'), () => setChannelBlocking('auto')],
  ['with the SIMD kernel off (XNNPACK fallback)', () => setSimdKernelsEnabled(false), () => setSimdKernelsEnabled(true)],
])('conv2d weight gradients on wasm %s match the cpu backend', (_mode, enter, leave) => {
  beforeAll(async () => {
    registerConvKernels();
    await tf.setBackend('wasm');
    enter();
  });
  afterAll(() => leave());

  it.each(conv2dCases.map((c, i) => [label(c), c, i] as const))('%s', async (_name, c, i) => {
    await expectGradParity(c.x, [c.k[0], c.k[1], c.x[3], c.co], (x, w) => tf.conv2d(x, w, c.strides, c.pad), 100 + i);
  });
});

describe('depthwiseConv2d gradients on wasm match the cpu backend', () => {
  beforeAll(() => registerConvKernels());

  interface DwCase {
    x: [number, number, number, number];
    k: [number, number];
    mult: number;
    strides: number;
    pad: 'same' | 'valid';
    dilation: number;
  }
  const cases: DwCase[] = [
    { x: [2, 9, 9, 4], k: [3, 3], mult: 1, strides: 1, pad: 'same', dilation: 1 },
    { x: [2, 9, 10, 3], k: [3, 3], mult: 2, strides: 2, pad: 'same', dilation: 1 },
    { x: [2, 8, 8, 2], k: [5, 5], mult: 1, strides: 2, pad: 'valid', dilation: 1 },
    { x: [1, 7, 9, 2], k: [3, 3], mult: 3, strides: 1, pad: 'same', dilation: 1 },
    { x: [1, 12, 12, 3], k: [7, 7], mult: 1, strides: 2, pad: 'same', dilation: 1 },
    // dy as a 24x20-tap "filter": XNNPACK's depthwise path with a kernel far larger than its micro-kernels' tiles.
    { x: [2, 24, 20, 4], k: [3, 3], mult: 1, strides: 1, pad: 'same', dilation: 1 },
  ];
  it.each(cases.map((c, i) => [`x ${c.x.join('x')}, k ${c.k.join('x')}, mult ${c.mult}, stride ${c.strides}, ${c.pad}, dilation ${c.dilation}`, c, i] as const))(
    '%s',
    async (_name, c, i) => {
      const conv = (x: tf.Tensor4D, w: tf.Tensor4D) => tf.depthwiseConv2d(x, w, c.strides, c.pad, 'NHWC', c.dilation);
      await expectGradParity(c.x, [c.k[0], c.k[1], c.x[3], c.mult], conv, 300 + i);
    },
  );
});

describe('dilated depthwise gradient kernels on wasm', () => {
  beforeAll(() => registerConvKernels());

  // tf.grads refuses dilated depthwise gradients, but the kernels take a `dilations` attribute (tf.engine().runKernel
  // reaches them). Reference: a dilated filter is the undilated conv with a zero-expanded filter
  // wE[k*d] = w[k], so dx is the expanded conv's dx and dw is its dwE sampled at the taps k*d.
  it.each([
    { x: [1, 11, 11, 3], k: 3, mult: 1, pad: 'valid' as const, d: 2 },
    { x: [2, 7, 9, 2], k: 3, mult: 3, pad: 'same' as const, d: 2 },
    { x: [1, 12, 10, 2], k: 2, mult: 1, pad: 'same' as const, d: 3 },
  ])('x $x, k $k, mult $mult, $pad, dilation $d', async ({ x: xShape, k, mult, pad, d }) => {
    const c = xShape[3];
    const wShape = [k, k, c, mult];
    const ke = (k - 1) * d + 1;
    const expand = (w: tf.Tensor4D) => {
      const buf = tf.buffer([ke, ke, c, mult]);
      const wv = w.arraySync();
      for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) for (let a = 0; a < c; a++) for (let m = 0; m < mult; m++) buf.set(wv[i][j][a][m], i * d, j * d, a, m);
      return buf.toTensor() as tf.Tensor4D;
    };
    const seed = 900 + k + d;
    // Reference on cpu: grads through the undilated conv with the expanded filter.
    await tf.setBackend('cpu');
    const wCpu = tf.tensor4d(seededValues(seed + 1, k * k * c * mult), wShape as [number, number, number, number]);
    const wE = expand(wCpu);
    const ref = await convGrads('cpu', xShape, [ke, ke, c, mult], (x, w) => tf.depthwiseConv2d(x, w, 1, pad), seed, wE);
    const refDw = tf.tidy(() => {
      const dwE = tf.tensor4d(ref.dw, [ke, ke, c, mult]).arraySync();
      const out: number[] = [];
      for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) for (let a = 0; a < c; a++) for (let m = 0; m < mult; m++) out.push(dwE[i * d][j * d][a][m]);
      return Float32Array.from(out);
    });
    tf.dispose([wCpu, wE]);

    await tf.setBackend('wasm');
    const x = tf.tensor4d(seededValues(seed, xShape.reduce((a, b) => a * b, 1)), xShape as [number, number, number, number]);
    const w = tf.tensor4d(seededValues(seed + 1, k * k * c * mult), wShape as [number, number, number, number]);
    const y = tf.depthwiseConv2d(x, w, 1, pad, 'NHWC', d);
    const dy = tf.tensor(seededValues(seed + 2, y.size), y.shape);
    const common = { strides: 1, pad, dilations: d };
    const dx = tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter: w }, { ...common, inputShape: xShape }) as tf.Tensor;
    const dw = tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, { ...common, filterShape: wShape }) as tf.Tensor;
    expect(relativeError((await dx.data()) as Float32Array, ref.dx)).toBeLessThan(1e-4);
    expect(relativeError((await dw.data()) as Float32Array, refDw)).toBeLessThan(1e-4);
    tf.dispose([x, w, y, dy, dx, dw]);
  });
});

describe('maxPool gradient on wasm matches the cpu backend', () => {
  beforeAll(() => registerConvKernels());

  it.each([
    { x: [2, 8, 8, 3], size: 2, strides: 2, pad: 'valid' as const },
    { x: [1, 9, 7, 4], size: 3, strides: 2, pad: 'same' as const },
    { x: [2, 7, 7, 2], size: 3, strides: 1, pad: 'same' as const },
    // Channels in fours: the SIMD kernel (windows inside the image in one call per row, clipped ones one by one).
    { x: [2, 8, 8, 8], size: 2, strides: 2, pad: 'valid' as const },
    { x: [1, 9, 9, 8], size: 2, strides: 2, pad: 'valid' as const },
    { x: [2, 7, 5, 4], size: 2, strides: 2, pad: 'same' as const },
    { x: [1, 9, 7, 12], size: 3, strides: 1, pad: 'same' as const },
    { x: [2, 7, 6, 4], size: 3, strides: 2, pad: 'same' as const },
  ])('x $x, pool $size, stride $strides, $pad', async ({ x: xShape, size, strides, pad }) => {
    const run = async (backend: string) => {
      await tf.setBackend(backend);
      // Rounded values make ties: the first maximum in window order must get the gradient on both backends.
      const x = tf.tensor4d(seededValues(41, xShape.reduce((a, b) => a * b, 1)).map((v) => Math.round(v * 3)), xShape as [number, number, number, number]);
      const y = tf.maxPool(x, size, strides, pad);
      const r = tf.tensor(seededValues(42, y.size), y.shape);
      const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, size, strides, pad), r)))(x);
      const out = (await dx.data()) as Float32Array;
      tf.dispose([x, y, r, dx]);
      return out;
    };
    const ref = await run('cpu');
    const got = await run('wasm');
    expect(relativeError(got, ref)).toBeLessThan(1e-6);
  });
});

describe('dilated Conv2DBackpropFilter on wasm', () => {
  beforeAll(() => registerConvKernels());

  // tfjs's conv2d gradient refuses dilations, and Conv2DBackpropInput has no dilation attribute, but this kernel reads
  // an optional `dilations` attribute. Reference as for depthwise: the undilated conv with the zero-expanded filter.
  it.each([
    { x: [2, 11, 10, 3], k: 3, co: 4, pad: 'same' as const, d: 2 },
    { x: [1, 12, 13, 2], k: 2, co: 3, pad: 'valid' as const, d: 3 },
  ])('x $x, k $k, co $co, $pad, dilation $d', async ({ x: xShape, k, co, pad, d }) => {
    const ci = xShape[3];
    const ke = (k - 1) * d + 1;
    const seed = 700 + k + d;
    const ref = await convGrads('cpu', xShape, [ke, ke, ci, co], (x, w) => tf.conv2d(x, w, 1, pad), seed, undefined);
    // dwE sampled at the taps k*d is the dilated filter's gradient (dy does not depend on the filter values).
    const dwE = tf.tensor4d(ref.dw, [ke, ke, ci, co]);
    const taps = Array.from({ length: k }, (_, i) => i * d);
    const refDw = tf.tidy(() => tf.gather(tf.gather(dwE, taps, 0), taps, 1).dataSync() as Float32Array);
    dwE.dispose();

    await tf.setBackend('wasm');
    const x = tf.tensor4d(seededValues(seed, xShape.reduce((a, b) => a * b, 1)), xShape as [number, number, number, number]);
    const yShape = tf.tidy(() => tf.conv2d(x, tf.zeros([k, k, ci, co]) as tf.Tensor4D, 1, pad, 'NHWC', d).shape);
    const dy = tf.tensor(seededValues(seed + 2, yShape.reduce((a, b) => a * b, 1)), yShape);
    const dw = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: 1, pad, dataFormat: 'NHWC', dilations: d, filterShape: [k, k, ci, co] }) as tf.Tensor;
    expect(dw.shape).toEqual([k, k, ci, co]);
    expect(relativeError((await dw.data()) as Float32Array, refDw)).toBeLessThan(1e-4);
    tf.dispose([x, dy, dw]);
  });
});

describe('input gradient when a large explicit pad leaves a phase no dy rows (issue 8, item 7)', () => {
  beforeAll(() => registerConvKernels());

  // Rows: input 2, filter 5, stride 2, leading pad 4, one output row (o = 0). dx row 1 collects dy[o] * w[k] over
  // 2o + k - 4 = 1: tap 3 needs o = 1, tap 1 needs o = 2, and neither row exists. So phase 1 has taps but reads no dy
  // row (its crop of dy is empty): an empty sum, zero.
  it('marks that phase as without taps', () => {
    const [even, odd] = axisPhases(2, 1, 5, 2, 1, 4);
    expect(even.taps).toEqual([4, 2, 0]);
    expect(odd).toMatchObject({ phase: 1, count: 1, taps: [] });
  });

  it('writes zeros there: x [1,2,3,2], filter [5,1,2,3], strides [2,1], pad [[0,0],[4,0],[0,0],[0,0]]', async () => {
    const conv = (x: tf.Tensor4D, w: tf.Tensor4D) => tf.conv2d(x, w, [2, 1], [[0, 0], [4, 0], [0, 0], [0, 0]]);
    const ref = await convGrads('cpu', [1, 2, 3, 2], [5, 1, 2, 3], conv, 77);
    const got = await convGrads('wasm', [1, 2, 3, 2], [5, 1, 2, 3], conv, 77);
    // The cpu gradient of input row 1 (the last 6 values) is exactly zero.
    expect(Array.from(ref.dx.subarray(6))).toEqual([0, 0, 0, 0, 0, 0]);
    expect(Array.from(got.dx.subarray(6))).toEqual([0, 0, 0, 0, 0, 0]);
    expect(relativeError(got.dx, ref.dx)).toBeLessThan(1e-4);
    expect(relativeError(got.dw, ref.dw)).toBeLessThan(1e-4);
  });
});

describe('parity fuzz over explicit paddings, pads up to 6 with kernels up to 5 (seeded)', () => {
  beforeAll(() => registerConvKernels());

  interface FuzzCase {
    x: [number, number, number, number];
    k: [number, number];
    out: number;
    strides: [number, number];
    pad: [[number, number], [number, number], [number, number], [number, number]];
  }
  /** A random geometry; the trailing pads are raised where needed so that at least one output row / column exists. */
  function fuzzCase(seed: number, depthwise: boolean): FuzzCase {
    const int = seededInts(seed, 14);
    const x: FuzzCase['x'] = [int(1, 2), int(1, 7), int(1, 7), int(1, 3)];
    const k: FuzzCase['k'] = [int(1, 5), int(1, 5)];
    const out = depthwise ? int(1, 2) : int(1, 3);
    // tfjs refuses unequal depthwise strides.
    const strides: FuzzCase['strides'] = depthwise ? [int(1, 3), 0] : [int(1, 3), int(1, 3)];
    if (depthwise) strides[1] = strides[0];
    const [top, left] = [int(0, 6), int(0, 6)];
    const bottom = Math.max(int(0, 6), k[0] - x[1] - top);
    const right = Math.max(int(0, 6), k[1] - x[2] - left);
    return { x, k, out, strides, pad: [[0, 0], [top, bottom], [left, right], [0, 0]] };
  }
  const name = (c: FuzzCase) => `x ${c.x.join('x')}, k ${c.k.join('x')}, stride ${c.strides.join(',')}, pad ${JSON.stringify(c.pad.slice(1, 3))}`;

  const conv2dFuzz = Array.from({ length: 40 }, (_, i) => fuzzCase(5000 + i, false));
  it.each(conv2dFuzz.map((c, i) => [name(c), c, i] as const))('conv2d %s', async (_name, c, i) => {
    await expectGradParity(c.x, [c.k[0], c.k[1], c.x[3], c.out], (x, w) => tf.conv2d(x, w, c.strides, c.pad), 5000 + i);
  });

  const depthwiseFuzz = Array.from({ length: 20 }, (_, i) => fuzzCase(6000 + i, true));
  it.each(depthwiseFuzz.map((c, i) => [name(c), c, i] as const))('depthwiseConv2d %s', async (_name, c, i) => {
    await expectGradParity(c.x, [c.k[0], c.k[1], c.x[3], c.out], (x, w) => tf.depthwiseConv2d(x, w, c.strides, c.pad), 6000 + i);
  });
});
