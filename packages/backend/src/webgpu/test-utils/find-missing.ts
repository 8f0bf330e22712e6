/**
 * Trains each test net one step on cpu recording its kernels, lists those the webgpu backend lacks, then trains it
 * on webgpu: `eval "$(scripts/setup-vulkan.sh)"; tsx --conditions=@db/source find-missing.ts`. Gradients are
 * backend-independent in tfjs, so a missing one shows on cpu already (as "gradient function not found").
 */
import * as tf from '@tensorflow/tfjs';
import { TEST_NETS } from '../../kernels/misc/test-utils/nets.js';
import { kernelsMissingOn } from '../../diagnostics/missing-kernels.js';
import { useFastestBackend } from '../../select/use-fastest-backend.js';

await useFastestBackend({ force: 'webgpu' });
for (const [name, build] of Object.entries(TEST_NETS)) {
  await tf.setBackend('cpu');
  const cpuNet = build(2);
  const missing = await kernelsMissingOn('webgpu', () => cpuNet.step());
  cpuNet.dispose();
  await tf.setBackend('webgpu');
  const net = build(2);
  const t0 = performance.now();
  try {
    const loss = await net.step();
    console.log(`${name}: missing on webgpu: ${missing.join(', ') || 'none'}; step loss=${loss.toFixed(4)} in ${(performance.now() - t0).toFixed(0)} ms`);
  } catch (e) {
    console.log(`${name}: missing on webgpu: ${missing.join(', ') || 'none'}; step failed: ${(e as Error).message.split('\n')[0]}`);
  }
  net.dispose();
}
