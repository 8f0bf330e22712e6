/**
 * `scripts/gpu-check.sh` (or `tsx --conditions=@db/source apps/bench/src/gpu-check.ts`): probes the WebGPU adapter
 * Dawn finds, then measures, on webgpu and on wasm in the same run, a 3x3 convolution's forward + both gradients
 * (GFLOP/s) and CustomNet training throughput (batch 64, 32x32x3, Adam), and prints one table.
 *
 * Options: --allow-software (measure a software Vulkan adapter too; otherwise it stops there)  --steps N (CustomNet
 * timed steps, default 5)  --batch N (default 64)
 */
import * as tf from '@tensorflow/tfjs';
import { activeWebGpuAdapter, describeAdapter, useFastestBackend } from '@db/backend';
import { customNet } from '@db/models';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`--${name} must be a positive integer, got '${process.argv[i + 1]}'`);
  return v;
}
const steps = arg('steps', 5);
const BATCH = arg('batch', 64);

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[s.length >> 1];
}

/** GFLOP/s of conv2d forward + input gradient + filter gradient, x [batch, 32, 32, 64], 3x3x64x64 filter, same. */
async function convGflops(): Promise<number> {
  const x = tf.randomNormal([BATCH, 32, 32, 64], 0, 1, 'float32', 1) as tf.Tensor4D;
  const w = tf.randomNormal([3, 3, 64, 64], 0, 0.1, 'float32', 2) as tf.Tensor4D;
  const flops = 3 * 2 * BATCH * 32 * 32 * 64 * 64 * 9;
  const f = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same')));
  const times: number[] = [];
  for (let i = 0; i < 2 + 5; i++) {
    const t0 = performance.now();
    const [dx, dw] = f([x, w]);
    // Reading one element of each waits for the work (asynchronous on webgpu; no synchronous read under Node).
    await Promise.all([dx, dw].map((t) => t.slice([0, 0, 0, 0], [1, 1, 1, 1]).data()));
    if (i >= 2) times.push(performance.now() - t0);
    tf.dispose([dx, dw]);
  }
  tf.dispose([x, w]);
  return flops / (median(times) / 1000) / 1e9;
}

/** CustomNet (the report's, 10 classes) images/s over `steps` trainOnBatch calls after one warm-up. */
async function customNetIps(): Promise<number> {
  const model = customNet({ inputShape: [32, 32, 3], numClasses: 10 }) as unknown as tf.LayersModel;
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
  const x = tf.randomNormal([BATCH, 32, 32, 3], 0, 1, 'float32', 3);
  const y = tf.tidy(() => tf.oneHot(tf.randomUniform([BATCH], 0, 10, 'int32', 4) as tf.Tensor1D, 10).toFloat());
  await model.trainOnBatch(x, y);
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) await model.trainOnBatch(x, y);
  const ms = performance.now() - t0;
  tf.dispose([x, y]);
  model.dispose();
  return (BATCH * steps * 1000) / ms;
}

async function main(): Promise<void> {
  tf.env().set('IS_TEST', true); // no "install tfjs-node" banner in the middle of the table
  let adapterLine: string;
  try {
    await useFastestBackend({ force: 'webgpu', log: () => {} });
  } catch (error) {
    console.log(`adapter probe: FAILED: ${(error as Error).message}`);
    console.log('Dawn needs the Vulkan loader (libvulkan.so.1, Debian/Ubuntu: apt-get install libvulkan1) and the NVIDIA');
    console.log("driver's Vulkan ICD (nvidia_icd.json, shipped with the driver); `vulkaninfo --summary` should list the GPU.");
    process.exitCode = 1;
    return;
  }
  const adapter = activeWebGpuAdapter()!;
  adapterLine = describeAdapter(adapter);
  console.log(`adapter probe: ${adapterLine}${adapter.software ? '  [SOFTWARE: not a GPU]' : '  [hardware]'}`);
  const search = await useFastestBackend({ log: () => {} });
  console.log(`useFastestBackend() picks: ${search.backendName}`);
  if (adapter.software && !process.argv.includes('--allow-software')) {
    console.log('Only a software adapter: the NVIDIA driver\'s Vulkan ICD was not found; stopping (--allow-software measures it anyway).');
    process.exitCode = 1;
    return;
  }
  const rows: [string, number, number][] = [];
  const results: Record<string, { conv: number; ips: number }> = {};
  for (const backend of ['webgpu', 'wasm']) {
    await useFastestBackend({ force: backend, log: () => {} });
    results[backend] = { conv: await convGflops(), ips: await customNetIps() };
    console.log(`  measured ${backend}`);
  }
  rows.push(['conv 3x3 64->64 32x32 fwd+grads (GFLOP/s)', results.webgpu.conv, results.wasm.conv]);
  rows.push([`CustomNet training, batch ${BATCH} (img/s)`, results.webgpu.ips, results.wasm.ips]);
  console.log(`\n| measure | webgpu (${adapterLine}) | wasm | webgpu / wasm |`);
  console.log('|---|---:|---:|---:|');
  for (const [name, gpu, wasm] of rows) console.log(`| ${name} | ${gpu.toFixed(1)} | ${wasm.toFixed(1)} | ${(gpu / wasm).toFixed(2)}x |`);
}

main()
  .catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  })
  // The threaded wasm backend's workers keep Node's event loop alive: exit explicitly.
  .finally(() => process.exit());
