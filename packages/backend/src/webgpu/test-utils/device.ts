/**
 * Test helpers for the *.device.test.ts files: loads the webgpu backend on whatever adapter Dawn finds (a software
 * Vulkan driver counts: `eval "$(scripts/setup-vulkan.sh)"`), or says why the device tests are skipped. With
 * `DB_REQUIRE_WEBGPU=1` (set by CI) a missing adapter fails the run instead of skipping it.
 *
 * The webgpu backend cannot read tensors synchronously under Node (its readSync goes through OffscreenCanvas), so
 * everything here reads with `await data()`.
 */
import * as tf from '@tensorflow/tfjs';
import { expectClose } from '../../kernels/misc/test-utils/backends.js';
import { useFastestBackend } from '../../select/use-fastest-backend.js';
import { activeWebGpuAdapter } from '../use-webgpu.js';
import { describeAdapter } from '../probe.js';

/** Null when the webgpu backend is active on some adapter; else why the device tests are skipped. */
export const webgpuSkipReason: string | null = await (async () => {
  try {
    await useFastestBackend({ force: 'webgpu', log: () => {} });
    await tf.setBackend('cpu');
    return null;
  } catch (error) {
    const reason = `no WebGPU adapter (${(error as Error).message.replace(/^@db\/backend: /, '')}); run eval "$(scripts/setup-vulkan.sh)" first`;
    if (process.env.DB_REQUIRE_WEBGPU === '1') throw new Error(`DB_REQUIRE_WEBGPU=1 but ${reason}`);
    return reason;
  }
})();

/** Prints, once per test file, the adapter the tests run on or why they are skipped. */
export function announce(file: string): void {
  const adapter = activeWebGpuAdapter();
  console.info(
    webgpuSkipReason == null && adapter != null
      ? `[${file}] webgpu tests on ${describeAdapter(adapter)}`
      : `[${file}] SKIPPED webgpu tests: ${webgpuSkipReason}`,
  );
}

/** A tensor's values read back asynchronously. */
export interface Values {
  shape: number[];
  values: number[];
}

/** Runs `fn` on `backend` (tensors kept inside a tidy) and reads its outputs asynchronously. */
export async function valuesOn(backend: 'cpu' | 'webgpu', fn: () => tf.Tensor | tf.Tensor[]): Promise<Values[]> {
  await tf.setBackend(backend);
  const out = tf.tidy(fn);
  const list = Array.isArray(out) ? out : [out];
  const res = await Promise.all(list.map(async (t) => ({ shape: t.shape, values: Array.from(await t.data()) })));
  tf.dispose(list);
  return res;
}

/** The worst |a - e| / max(1, max|e|) over one output: the figure {@link expectClose} bounds. */
export function relativeError(actual: Values, expected: Values): number {
  const scale = Math.max(1, ...expected.values.map(Math.abs));
  let worst = 0;
  for (let i = 0; i < expected.values.length; i++) worst = Math.max(worst, Math.abs(actual.values[i] - expected.values[i]));
  return worst / scale;
}

/**
 * Asserts every output of `fn` on webgpu is within `rtol` of the cpu backend's (relative to each output's largest
 * magnitude) and returns the worst relative error seen, for the printed parity figures.
 */
export async function expectWebGpuParity(fn: () => tf.Tensor | tf.Tensor[], rtol: number): Promise<number> {
  const cpu = await valuesOn('cpu', fn);
  const gpu = await valuesOn('webgpu', fn);
  if (gpu.length !== cpu.length) throw new Error(`webgpu gave ${gpu.length} outputs, cpu ${cpu.length}`);
  let worst = 0;
  gpu.forEach((g, i) => {
    expectClose(g, cpu[i], rtol);
    worst = Math.max(worst, relativeError(g, cpu[i]));
  });
  return worst;
}
