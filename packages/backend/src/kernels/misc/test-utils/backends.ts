/** Test helpers: run the same computation on cpu and wasm and compare. */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { expect } from 'vitest';
import { registerWasmTrainingKernels } from '../../register.js';

/** Registers this package's kernels and makes sure both backends are initialised. */
export async function setupBackends(): Promise<void> {
  registerWasmTrainingKernels();
  await tf.setBackend('cpu');
  await tf.setBackend('wasm');
}

/** Runs `fn` on `backend` and returns its outputs' values (tensors disposed). */
export async function valuesOn(backend: 'cpu' | 'wasm', fn: () => tf.Tensor | tf.Tensor[]): Promise<{ shape: number[]; values: number[] }[]> {
  await tf.setBackend(backend);
  const out = tf.tidy(fn);
  const list = Array.isArray(out) ? out : [out];
  const res = list.map((t) => ({ shape: t.shape, values: Array.from(t.dataSync()) }));
  tf.dispose(list);
  return res;
}

/**
 * Asserts |actual - expected| <= rtol * max(1, max|expected|) elementwise: relative to the tensor's scale, so sums
 * with cancellation near zero are judged against the magnitude of their terms' result, not against 0.
 */
export function expectClose(actual: { shape: number[]; values: number[] }, expected: { shape: number[]; values: number[] }, rtol = 1e-4): void {
  expect(actual.shape).toEqual(expected.shape);
  const scale = Math.max(1, ...expected.values.map(Math.abs));
  let worst = 0;
  for (let i = 0; i < expected.values.length; i++) worst = Math.max(worst, Math.abs(actual.values[i] - expected.values[i]));
  expect(worst / scale).toBeLessThanOrEqual(rtol);
}

/** Compares every output of `fn` on wasm against cpu. */
export async function expectParity(fn: () => tf.Tensor | tf.Tensor[], rtol = 1e-4): Promise<void> {
  const cpu = await valuesOn('cpu', fn);
  const wasm = await valuesOn('wasm', fn);
  expect(wasm.length).toBe(cpu.length);
  wasm.forEach((w, i) => expectClose(w, cpu[i], rtol));
}
