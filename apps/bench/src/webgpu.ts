/**
 * The webgpu rows of the benchmarks: loads the webgpu backend (Dawn; any adapter, a software Vulkan driver
 * included, so its cost can be measured too) and names the adapter, or says why it is unavailable.
 */
import * as tf from '@tensorflow/tfjs';
import { activeWebGpuAdapter, describeAdapter, useFastestBackend } from '@db/backend';

/** The webgpu backend, loaded, with its adapter. */
export interface BenchWebGpu {
  /** e.g. `webgpu (nvidia hopper, NVIDIA H200)`. */
  label: string;
  /** A software adapter (lavapipe, SwiftShader): slow, so the benches run fewer cases on it. */
  software: boolean;
}

/**
 * Loads webgpu (leaving the previously active backend active) and describes it; a string says why it cannot be used.
 * Skipped altogether when `DB_BENCH_WEBGPU=0`.
 */
export async function loadBenchWebGpu(): Promise<BenchWebGpu | string> {
  if (process.env.DB_BENCH_WEBGPU === '0') return 'DB_BENCH_WEBGPU=0';
  const previous = tf.getBackend();
  try {
    await useFastestBackend({ force: 'webgpu', log: () => {} });
  } catch (error) {
    return (error as Error).message.replace(/^@db\/backend: options\.force asks for \S+, which failed: /, '');
  } finally {
    if (previous) await tf.setBackend(previous);
  }
  const adapter = activeWebGpuAdapter();
  if (adapter == null) return 'no adapter';
  return { label: `webgpu (${describeAdapter(adapter)})`, software: adapter.software };
}
