/**
 * Discovery aid (tests / scripts only): records the kernels a computation runs, so that the ones the webgpu
 * backend lacks can be listed from a run on the cpu backend. (The wasm discovery, kernels/misc/test-utils/
 * cpu-fallback.ts, runs cpu kernels behind the missing ones instead; that needs synchronous reads, which the tfjs
 * webgpu backend cannot do under Node: its readSync goes through OffscreenCanvas.)
 */
import * as tf from '@tensorflow/tfjs-core';

type RunKernel = (name: string, inputs: unknown, attrs?: unknown) => unknown;

/** Runs `fn`, returning the names of every kernel the engine ran meanwhile (forward and backward). */
export async function recordKernels<T>(fn: () => Promise<T> | T): Promise<{ result: T; kernels: Set<string> }> {
  const engine = tf.engine() as unknown as { runKernel: RunKernel };
  const original = engine.runKernel;
  const kernels = new Set<string>();
  engine.runKernel = function (this: unknown, name, inputs, attrs) {
    kernels.add(name);
    return original.call(this, name, inputs, attrs);
  };
  try {
    return { result: await fn(), kernels };
  } finally {
    engine.runKernel = original;
  }
}

/** The kernels among `kernels` with no implementation registered for `backendName`, sorted. */
export function missingKernels(kernels: Iterable<string>, backendName: string): string[] {
  return [...kernels].filter((k) => tf.getKernel(k, backendName) == null).sort();
}
