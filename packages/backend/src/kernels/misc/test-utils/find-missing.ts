/**
 * Trains each net one step on wasm with cpu fallbacks for every kernel wasm lacks and prints which fallbacks were
 * hit, per net: `tsx find-missing.ts` (add `bare` to skip this package's kernels and see the raw gaps).
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { TEST_NETS } from './nets.js';
import { installCpuFallbacks } from './cpu-fallback.js';
import { registerWasmTrainingKernels } from '../../register.js';

if (process.argv[2] !== 'bare') registerWasmTrainingKernels();
const names = (await import('@tensorflow/tfjs-core')) as Record<string, unknown>;
const kernelNames = Object.values(names).filter((v): v is string => typeof v === 'string' && /^[A-Z_][A-Za-z0-9]+$/.test(v));
await tf.setBackend('cpu');
await tf.setBackend(process.env.B ?? "wasm");
const { hits } = installCpuFallbacks(kernelNames);
for (const build of Object.values(TEST_NETS)) {
  const net = build(2);
  hits.clear();
  try {
    const l = await net.step();
    console.log(`${net.name}: loss=${l.toFixed(4)} missing on wasm: ${[...hits.keys()].join(', ') || 'none'}`);
  } catch (e) {
    console.log(`${net.name}: ${(e as Error).message.split('\n')[0]}`);
  }
  net.dispose();
}
