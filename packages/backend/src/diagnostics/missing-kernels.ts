/**
 * Which kernels a computation needs that a backend lacks, found without running it there: run it once on a
 * backend that has everything (cpu), record the kernels the engine dispatched (forward and backward), and look
 * each up in the target backend's registry. This is how this package found what the webgpu backend lacks for the
 * report's nets; unlike kernels/misc/test-utils/cpu-fallback.ts (the wasm discovery, which runs cpu kernels behind
 * the missing ones) it needs no synchronous reads, which the tfjs webgpu backend cannot do under Node.
 */
import * as tf from '@tensorflow/tfjs-core';

type RunKernel = (name: string, inputs: unknown, attrs?: unknown) => unknown;

/** What {@link recordKernels} saw. */
export interface KernelRecord<T> {
  /** What `fn` returned (awaited). */
  result: T;
  /** Names of every kernel the engine ran meanwhile, forward and backward. */
  kernels: Set<string>;
}

/** Runs `fn` on the active backend and records the kernels the engine dispatches meanwhile. */
export async function recordKernels<T>(fn: () => Promise<T> | T): Promise<KernelRecord<T>> {
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

/**
 * Runs `fn` on the active backend (use one that has every kernel, e.g. `cpu`) and lists, sorted, the kernels it ran
 * that `backendName` has no implementation for. An empty list means `fn` can run on that backend.
 *
 * @example
 * ```ts
 * await tf.setBackend('cpu');
 * const missing = await kernelsMissingOn('webgpu', () => model.trainOnBatch(x, y)); // [] or e.g. ['Conv3DBackpropFilterV2']
 * ```
 */
export async function kernelsMissingOn(backendName: string, fn: () => Promise<unknown> | unknown): Promise<string[]> {
  const { kernels } = await recordKernels(fn);
  return [...kernels].filter((k) => tf.getKernel(k, backendName) == null).sort();
}
