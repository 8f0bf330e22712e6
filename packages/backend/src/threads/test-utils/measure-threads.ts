/**
 * Does the second core pay? Runs each configuration in a fresh child process (the wasm module and its kernels'
 * bindings are process-wide), alternating A/B/A/B, and prints medians:
 * - Conv2D forward [32, 32, 32, 64] x [3, 3, 64, 64] 'same' (2.4 GFLOP): GFLOP/s;
 * - one CustomNet training step (batch 64, 32x32x3, Adam) with this package's kernels: ms and img/s;
 * plus process CPU per wall second and the share of CPU done by threads other than the JS thread.
 * `tsx measure-threads.ts [rounds=2]`  (configs: stock = upstream single-threaded SIMD binary; threads=1 / 2 = the
 * threaded SIMD binary through useThreadedWasm).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);

interface Result { conv: number; convCpu: number; convOther: number; step: number; stepCpu: number; stepOther: number; threads: number }

async function child(config: string): Promise<void> {
  const tf = await import('@tensorflow/tfjs');
  await import('@tensorflow/tfjs-backend-wasm');
  const { getThreadsCount } = await import('@tensorflow/tfjs-backend-wasm');
  const { registerWasmTrainingKernels } = await import('../../kernels/register.js');
  const { useThreadedWasm } = await import('../threaded-wasm.js');
  const { classifierNet, customNet } = await import('../../kernels/misc/test-utils/nets.js');
  const { threadCpuTicks, cpuDelta } = await import('./thread-cpu.js');
  registerWasmTrainingKernels();
  if (config !== 'stock') useThreadedWasm({ threads: Number(config) });
  await tf.setBackend('wasm');
  const measure = async (fn: () => Promise<void> | void, reps: number) => {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const p0 = threadCpuTicks();
    for (let i = 0; i < reps; i++) await fn();
    const wall = (performance.now() - t0) / reps;
    const c = process.cpuUsage(c0);
    const d = cpuDelta(p0, threadCpuTicks());
    const total = [...d.values()].reduce((a, b) => a + b, 0);
    const main = d.get(process.pid) ?? 0;
    return { wall, cpu: (c.user + c.system) / 1000 / reps, other: total > 0 ? (total - main) / total : 0 };
  };
  const x = tf.randomNormal([32, 32, 32, 64]) as import('@tensorflow/tfjs').Tensor4D;
  const w = tf.randomNormal([3, 3, 64, 64]) as import('@tensorflow/tfjs').Tensor4D;
  const convOnce = () => { const y = tf.conv2d(x, w, 1, 'same'); y.dataSync(); y.dispose(); };
  for (let i = 0; i < 3; i++) convOnce();
  const conv = await measure(convOnce, 8);
  const net = classifierNet('CustomNet', customNet(32), 64);
  await net.step();
  await net.step();
  const step = await measure(async () => { await net.step(); }, 3);
  const gflop = (2 * 32 * 32 * 32 * 64 * 9 * 64) / 1e9;
  const r: Result = { conv: gflop / (conv.wall / 1000), convCpu: conv.cpu / conv.wall, convOther: conv.other, step: step.wall, stepCpu: step.cpu / step.wall, stepOther: step.other, threads: getThreadsCount() };
  console.log(`RESULT ${JSON.stringify(r)}`);
}

if (process.argv[2] === '--child') {
  await child(process.argv[3]);
  process.exit(0);
}

const rounds = Number(process.argv[2] ?? '2');
const configs = ['stock', '1', '2'];
const results = new Map<string, Result[]>(configs.map((c) => [c, []]));
for (let r = 0; r < rounds; r++) {
  for (const c of configs) {
    const out = execFileSync(process.execPath, [...process.execArgv, self, '--child', c], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const line = out.split('\n').find((l) => l.startsWith('RESULT '));
    if (line == null) throw new Error(`config ${c}: no result`);
    results.get(c)!.push(JSON.parse(line.slice(7)) as Result);
  }
}
const med = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
console.log(`medians of ${rounds} alternating rounds (each config a fresh process)`);
console.log('config   threads  conv GFLOP/s  cpu/wall  other-threads  | CustomNet b64 step ms  img/s  cpu/wall  other-threads');
for (const c of configs) {
  const rs = results.get(c)!;
  const step = med(rs.map((x) => x.step));
  console.log(
    `${c.padEnd(8)} ${String(rs[0].threads).padStart(7)}  ${med(rs.map((x) => x.conv)).toFixed(1).padStart(12)}  ${med(rs.map((x) => x.convCpu)).toFixed(2).padStart(8)}  ${(100 * med(rs.map((x) => x.convOther))).toFixed(0).padStart(12)}%  | ${step.toFixed(0).padStart(21)}  ${((64 * 1000) / step).toFixed(1).padStart(5)}  ${med(rs.map((x) => x.stepCpu)).toFixed(2).padStart(8)}  ${(100 * med(rs.map((x) => x.stepOther))).toFixed(0).padStart(12)}%`,
  );
  console.log(`         all rounds: conv ${rs.map((x) => x.conv.toFixed(1)).join(', ')} GFLOP/s; step ${rs.map((x) => x.step.toFixed(0)).join(', ')} ms`);
}
