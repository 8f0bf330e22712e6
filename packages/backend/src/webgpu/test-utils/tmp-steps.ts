import * as tf from '@tensorflow/tfjs';
import { TEST_NETS } from '/work/wt/webgpu/packages/backend/src/kernels/misc/test-utils/nets.js';
import { useFastestBackend } from '/work/wt/webgpu/packages/backend/src/select/use-fastest-backend.js';
await useFastestBackend({ force: process.env.B ?? 'webgpu', wasmThreads: 1 });
const net = TEST_NETS[process.env.NET ?? 'CustomNet'](2);
for (let i = 0; i < 4; i++) {
  const t0 = performance.now(); const c0 = process.cpuUsage();
  const l = await net.step();
  const c = process.cpuUsage(c0);
  console.log(`step ${i}: ${(performance.now() - t0).toFixed(0)} ms wall, ${((c.user + c.system) / 1000).toFixed(0)} ms cpu, loss ${l.toFixed(4)}`);
}
net.dispose();
