/**
 * Per-kernel profile of one training batch on wasm (tf.profile), upstream kernels vs this package's misc kernels,
 * measured alternately in one process (the machine is shared, so A/B/A/B and medians):
 * `tsx profile-train.ts [net=CustomNet] [batch=64] [rounds=3]`.
 * "upstream" = this package's misc kernels switched off (fused BatchNorm gradient and XNNPACK BatchNorm forward,
 * leading-axes Sum / Mean and their gradients, shared Identity); the conv kernels stay on in both (without Conv2DBackpropFilter nothing trains).
 * Also prints process CPU ms per step (the machine is shared: CPU time is steadier than wall time).
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { classifierNet, customNet, denseNet, resNet, type TrainableNet } from './nets.js';
import { registerWasmTrainingKernels } from '../../register.js';
import { setFusedBatchNormGradEnabled } from '../batch-norm-grad.js';
import { setFastReductionsEnabled, setPooledReductionsEnabled } from '../reductions.js';
import { setFastBatchNormEnabled } from '../batch-norm-forward.js';
import { setReductionGradsEnabled } from '../reduction-grads.js';
import { setSharedIdentityEnabled } from '../identity.js';

const [netName = 'CustomNet', batchArg = '64', roundsArg = '3'] = process.argv.slice(2);
const batch = Number(batchArg);
registerWasmTrainingKernels();
await tf.setBackend('wasm');

function build(): TrainableNet {
  if (netName === 'ResNet') return classifierNet('ResNet', resNet(32, [16, 32, 64]), batch);
  if (netName === 'DenseNet') return classifierNet('DenseNet', denseNet(32, 12, 4, 3), batch);
  return classifierNet('CustomNet', customNet(32), batch);
}

const configs = ['upstream', 'ours'] as const;
const samples = { upstream: new Map<string, number[]>(), ours: new Map<string, number[]>() };
const stepMs = { upstream: [] as number[], ours: [] as number[] };
const cpuMs = { upstream: [] as number[], ours: [] as number[] };
const net = build();
await net.step(); // weight init, XNNPACK operator caches
for (let round = 0; round < Number(roundsArg); round++) {
  for (const cfg of configs) {
    setFusedBatchNormGradEnabled(cfg === 'ours');
    setFastReductionsEnabled(cfg === 'ours');
    setPooledReductionsEnabled(cfg === 'ours');
    setFastBatchNormEnabled(cfg === 'ours');
    setReductionGradsEnabled(cfg === 'ours');
    setSharedIdentityEnabled(cfg === 'ours');
    await net.step(); // warm the configuration
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    await net.step();
    stepMs[cfg].push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpuMs[cfg].push((c.user + c.system) / 1000);
    const info = await tf.profile(() => net.step());
    const perKernel = new Map<string, number>();
    for (const k of info.kernels) perKernel.set(k.name, (perKernel.get(k.name) ?? 0) + (k.kernelTimeMs as number));
    for (const [name, ms] of perKernel) samples[cfg].set(name, [...(samples[cfg].get(name) ?? []), ms]);
  }
}
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? 0;
const names = [...new Set([...samples.upstream.keys(), ...samples.ours.keys()])];
const rows = names
  .map((n) => [n, median(samples.upstream.get(n) ?? [0]), median(samples.ours.get(n) ?? [0])] as const)
  .sort((a, b) => Math.max(b[1], b[2]) - Math.max(a[1], a[2]));
console.log(`${netName}, batch ${batch}, medians of ${roundsArg} alternating rounds (ms per step, tf.profile kernel time)`);
console.log(`${'kernel'.padEnd(26)} ${'upstream'.padStart(9)} ${'ours'.padStart(9)}`);
for (const [n, a, b] of rows.slice(0, 20)) console.log(`${n.padEnd(26)} ${a.toFixed(1).padStart(9)} ${b.toFixed(1).padStart(9)}`);
const sum = (cfg: 'upstream' | 'ours') => rows.reduce((s, r) => s + (cfg === 'upstream' ? r[1] : r[2]), 0);
console.log(`${'kernel total'.padEnd(26)} ${sum('upstream').toFixed(0).padStart(9)} ${sum('ours').toFixed(0).padStart(9)}`);
for (const cfg of configs) {
  const ms = median(stepMs[cfg]);
  console.log(`unprofiled step (${cfg}): wall ${ms.toFixed(0)} ms = ${((batch * 1000) / ms).toFixed(1)} img/s [${stepMs[cfg].map((v) => v.toFixed(0)).join(', ')}]; process CPU ${median(cpuMs[cfg]).toFixed(0)} ms [${cpuMs[cfg].map((v) => v.toFixed(0)).join(', ')}]`);
}
console.log(`numTensors after: ${tf.memory().numTensors}`);
net.dispose();
