/**
 * `pnpm bench:train`: training throughput (images/s, batch 64, 32x32x3 random input, Adam, categorical
 * cross-entropy) of CustomNet, ResNet-50 and DenseNet-121 on the backend `useFastestBackend` picks, the same for one
 * step on the plain cpu backend (measured last: it is slow), and PyTorch's CPU throughput for CustomNet (apps/bench/py/train_customnet.py) when
 * `python3 -c 'import torch'` works, printed as a ratio measured in the same run.
 *
 * Options: --models customnet,resnet50,densenet121  --steps N (timed steps per model; default 10 / 3 / 3)
 *          --cpu-models LIST (default: customnet — one cpu step of ResNet-50 / DenseNet-121 takes many minutes;
 *          "none" skips)  --no-torch  --torch-threads N (default: 2, then 1)
 *          --profile [MODEL] (one batch, default CustomNet: tf.profile kernel wall times, then per-kernel CPU times)  --backend NAME (same as DB_BACKEND)
 *          --wasm-threads N (same as DB_WASM_THREADS: XNNPACK threads of the wasm backend)
 *          --webgpu-models LIST (the same models on webgpu when Dawn finds an adapter and the chosen backend is
 *          another, with the adapter named; default: all on a GPU, customnet with 2 steps on a software Vulkan
 *          driver; "none" or DB_BENCH_WEBGPU=0 skips)
 *          --conv [LIST] (only this: per layer shape of each model (default customnet,resnet50), batch 64 at
 *          32x32, the median wall time of the forward Conv2D and of Conv2DBackpropFilter (the weight gradient) on
 *          the chosen backend (before: @db/backend's SIMD kernel off, i.e. the XNNPACK routes; after: on), their
 *          ratios, and the totals over all conv layers; --conv-reps N, default 5)
 *          --memory [LIST] (only this: peak memory of one training step, batch 64 at 32x32, of each model (default
 *          resnet50) with tfjs' stock backward pass and with @db/backend's lean one, each in a fresh process run
 *          back to back: the wasm heap's size after the step (its high-water mark: the heap never shrinks) and the
 *          peak bytes of tensor buffers held at once during the step)
 */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { leanGradientsEnabled, leanOptimizer, peakBufferBytes, setSimdKernelsEnabled, useFastestBackend } from '@db/backend';
import { customNet, densenet, resnet50 } from '@db/models';
import { startTicker } from './tick.js';
import { loadBenchWebGpu } from './webgpu.js';

type ModelName = 'customnet' | 'resnet50' | 'densenet121';
const BUILDERS: Record<ModelName, () => tf.LayersModel> = {
  customnet: () => customNet({ inputShape: [32, 32, 3], numClasses: 10 }) as unknown as tf.LayersModel,
  resnet50: () => resnet50({ inputShape: [32, 32, 3], numClasses: 10 }) as unknown as tf.LayersModel,
  densenet121: () => densenet({ inputShape: [32, 32, 3], numClasses: 10 }) as unknown as tf.LayersModel,
};
const DEFAULT_STEPS: Record<ModelName, number> = { customnet: 10, resnet50: 3, densenet121: 3 };
const BATCH = 64;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const flag = (name: string) => process.argv.includes(`--${name}`);

function parseModels(value: string | undefined, fallback: ModelName[]): ModelName[] {
  if (value === undefined) return fallback;
  if (value === 'none') return [];
  const names = value.split(',').map((s) => s.trim().toLowerCase());
  for (const n of names) if (!(n in BUILDERS)) throw new RangeError(`--models: unknown model '${n}' (use ${Object.keys(BUILDERS).join(', ')})`);
  return names as ModelName[];
}

function batch(): { x: tf.Tensor4D; y: tf.Tensor2D } {
  return tf.tidy(() => {
    const x = tf.randomNormal([BATCH, 32, 32, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const labels = tf.randomUniform([BATCH], 0, 10, 'int32', 2) as tf.Tensor1D;
    return { x, y: tf.oneHot(labels, 10).toFloat() as tf.Tensor2D };
  });
}

function compiled(name: ModelName): tf.LayersModel {
  const model = BUILDERS[name]();
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
  return model;
}

/** Images per second over `steps` timed trainOnBatch calls after `warmup` untimed ones. */
async function throughput(name: ModelName, steps: number, warmup: number): Promise<{ ips: number; msPerStep: number; leak: number }> {
  const model = compiled(name);
  const { x, y } = batch();
  for (let i = 0; i < warmup; i++) await model.trainOnBatch(x, y);
  const before = tf.memory().numTensors;
  const start = performance.now();
  for (let i = 0; i < steps; i++) await model.trainOnBatch(x, y);
  const ms = performance.now() - start;
  const leak = tf.memory().numTensors - before;
  tf.dispose([x, y]);
  model.dispose();
  return { ips: (BATCH * steps * 1000) / ms, msPerStep: ms / steps, leak };
}

async function profileModel(name: ModelName): Promise<void> {
  const model = compiled(name);
  const { x, y } = batch();
  await model.trainOnBatch(x, y);
  const info = await tf.profile(async () => {
    await model.trainOnBatch(x, y);
  });
  const byName = new Map<string, { ms: number; calls: number }>();
  let total = 0;
  for (const k of info.kernels) {
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    total += ms;
    const e = byName.get(k.name) ?? { ms: 0, calls: 0 };
    e.ms += ms;
    e.calls += 1;
    byName.set(k.name, e);
  }
  console.log(`\nprofile: one ${name} batch of ${BATCH} on ${tf.getBackend()}: ${info.kernels.length} kernel calls, ${total.toFixed(0)} ms in kernels`);
  for (const [name, e] of [...byName].sort((a, b) => b[1].ms - a[1].ms).slice(0, 15)) {
    console.log(`  ${name.padEnd(28)} ${e.ms.toFixed(1).padStart(8)} ms  ${String(e.calls).padStart(4)} calls`);
  }
  tf.dispose([x, y]);
  model.dispose();
}

/**
 * Per-kernel CPU time (process.cpuUsage, so other processes' load does not inflate it as it does tf.profile's wall
 * clock) of one training step: every kernel of the active backend is wrapped while the step runs; kernels called from
 * inside other kernels are counted in their caller only.
 */
async function cpuProfileModel(name: ModelName): Promise<void> {
  const backendName = tf.getBackend();
  const model = compiled(name);
  const { x, y } = batch();
  await model.trainOnBatch(x, y);
  const configs = tf.getKernelsForBackend(backendName);
  const totals = new Map<string, { us: number; calls: number }>();
  let depth = 0;
  for (const config of configs) {
    const original = config.kernelFunc;
    tf.unregisterKernel(config.kernelName, backendName);
    tf.registerKernel({
      ...config,
      kernelFunc: (args) => {
        if (depth > 0) return original(args);
        depth++;
        const start = process.cpuUsage();
        try {
          return original(args);
        } finally {
          const used = process.cpuUsage(start);
          depth--;
          const e = totals.get(config.kernelName) ?? { us: 0, calls: 0 };
          e.us += used.user + used.system;
          e.calls++;
          totals.set(config.kernelName, e);
        }
      },
    });
  }
  const start = process.cpuUsage();
  await model.trainOnBatch(x, y);
  const step = process.cpuUsage(start);
  for (const config of configs) {
    tf.unregisterKernel(config.kernelName, backendName);
    tf.registerKernel(config);
  }
  const stepMs = (step.user + step.system) / 1000;
  const inKernels = [...totals.values()].reduce((a, e) => a + e.us, 0) / 1000;
  console.log(`\nCPU profile: one ${name} step of ${BATCH} on ${backendName}: ${stepMs.toFixed(0)} ms CPU, ${inKernels.toFixed(0)} ms in kernels`);
  for (const [kernel, e] of [...totals].sort((a, b) => b[1].us - a[1].us).slice(0, 15)) {
    console.log(`  ${kernel.padEnd(28)} ${(e.us / 1000).toFixed(1).padStart(8)} ms  ${String(e.calls).padStart(4)} calls`);
  }
  tf.dispose([x, y]);
  model.dispose();
}

function torchThroughput(threads: number): { ips: number; version: string } | string {
  const probe = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) return 'python3 has no torch (apt-get install python3-torch)';
  const script = join(dirname(fileURLToPath(import.meta.url)), '..', 'py', 'train_customnet.py');
  const run = spawnSync('/usr/bin/python3', [script, '--batch', String(BATCH), '--steps', '20', '--threads', String(threads)], {
    encoding: 'utf8',
  });
  if (run.status !== 0) return `train_customnet.py failed: ${run.stderr.trim().split('\n').pop()}`;
  const out = JSON.parse(run.stdout.trim().split('\n').pop() as string) as { imagesPerSecond: number; torch: string };
  return { ips: out.imagesPerSecond, version: out.torch };
}

function comparePyTorch(ours: number, backend: string): void {
  // 2 threads is the reference; 1 thread too, because on a loaded 2-core box two threads can be slower than one.
  const threadCounts = arg('torch-threads') !== undefined ? [Number(arg('torch-threads'))] : [2, 1];
  for (const threads of threadCounts) {
    const t = torchThroughput(threads);
    if (typeof t === 'string') {
      console.log(`  PyTorch reference skipped: ${t}`);
      return;
    }
    console.log(
      `  PyTorch ${t.version} CPU, ${threads} thread(s), CustomNet: ${t.ips.toFixed(1)} img/s; ` +
        `${backend} / PyTorch = ${(ours / t.ips).toFixed(3)} (training here runs at this fraction of PyTorch's CPU speed on the same machine; 1.0 = as fast)`,
    );
  }
}

interface StepMemory {
  heapBytes: number | null;
  peakBufferBytes: number;
  lean: boolean;
  /** FNV-1a hash of the bytes of every gradient the step computed (weights seeded: equal across processes). */
  gradientHash: string;
}

/** mulberry32 (a 32-bit seeded generator): tfjs' initialisers draw their seeds from Math.random. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Child of --memory: one training step of `name` (after model building), printed as one MEMORY JSON line. */
async function memoryChild(name: ModelName): Promise<void> {
  const threadsArg = arg('wasm-threads');
  await useFastestBackend({ force: arg('backend'), wasmThreads: threadsArg === undefined ? 1 : Number(threadsArg), log: () => undefined });
  const random = Math.random;
  Math.random = seeded(7); // the same initial weights in both processes, so their gradients can be compared
  const model = compiled(name);
  Math.random = random;
  // The optimizer comes from tfjs' own copy of tfjs-core here: patch its Adam class too (no-op when not enabled).
  leanOptimizer(model.optimizer);
  const { x, y } = batch();
  // Hash every gradient the step computes (on its way from engine.gradients to the optimizer).
  const engine = tf.engine() as unknown as { gradients: (...a: unknown[]) => { grads: Record<string, tf.Tensor> | tf.Tensor[] } };
  const inner = engine.gradients;
  let hash = 0x811c9dc5;
  engine.gradients = function (this: unknown, ...a: unknown[]) {
    const out = inner.apply(this, a);
    for (const g of Object.values(out.grads)) {
      if (g == null) continue;
      const bytes = new Uint8Array((g.dataSync() as Float32Array).slice().buffer);
      for (let i = 0; i < bytes.length; i++) hash = Math.imul(hash ^ bytes[i], 0x01000193) >>> 0;
    }
    return out;
  };
  const { peakBytes } = await peakBufferBytes(() => model.trainOnBatch(x, y));
  engine.gradients = inner;
  const wasm = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm;
  const out: StepMemory = {
    heapBytes: wasm?.HEAPU8?.length ?? null,
    peakBufferBytes: peakBytes,
    lean: leanGradientsEnabled(),
    gradientHash: hash.toString(16).padStart(8, '0'),
  };
  console.log(`MEMORY ${JSON.stringify(out)}`);
}

/**
 * Median wall time of each of `fs` over `reps` repetitions after one warm-up, timed one after another within each
 * repetition; their tensors are disposed. On the synchronous backends (wasm, cpu) a kernel has finished when it
 * returns, so results are not read back: reading an activation-sized output out of the wasm heap cost 25-30 ms
 * here, which used to inflate the forward column (and flatter the ratio). Elsewhere (webgpu, webgl, tensorflow)
 * the read waits for the device.
 */
function interleavedMedianMs(fs: (() => tf.Tensor)[], reps: number): number[] {
  const sync = ['wasm', 'cpu'].includes(tf.getBackend());
  for (const f of fs) f().dispose();
  const times = fs.map(() => [] as number[]);
  for (let i = 0; i < reps; i++) {
    fs.forEach((f, k) => {
      const start = performance.now();
      const t = f();
      if (!sync) t.dataSync();
      times[k].push(performance.now() - start);
      t.dispose();
    });
  }
  return times.map((t) => t.sort((a, b) => a - b)[Math.floor(t.length / 2)]);
}

/** --conv: Conv2D vs Conv2DBackpropFilter per layer shape (issue 19 item 4's table). */
function convTable(models: ModelName[], reps: number): void {
  console.log(`\nConv2D vs Conv2DBackpropFilter per layer shape, batch ${BATCH}, 32x32 input, on ${tf.getBackend()} (median of ${reps}):`);
  for (const name of models) {
    const model = BUILDERS[name]();
    const shapes = new Map<string, { x: number[]; w: number[]; strides: [number, number]; pad: 'same' | 'valid'; dil: [number, number]; count: number }>();
    for (const layer of model.layers) {
      if (layer.getClassName() !== 'Conv2D') continue;
      const c = layer.getConfig() as { kernelSize: number[]; strides: number[]; padding: 'same' | 'valid'; dilationRate: number[]; filters: number };
      const inShape = (layer.input as tf.SymbolicTensor).shape as number[];
      const x = [BATCH, inShape[1], inShape[2], inShape[3]];
      const w = [c.kernelSize[0], c.kernelSize[1], inShape[3], c.filters];
      const key = `${x}|${w}|${c.strides}|${c.padding}|${c.dilationRate}`;
      const e = shapes.get(key);
      if (e) e.count++;
      else shapes.set(key, { x, w, strides: c.strides as [number, number], pad: c.padding, dil: c.dilationRate as [number, number], count: 1 });
    }
    model.dispose();
    console.log(`  ${name}:`);
    console.log(
      `    ${'x'.padEnd(18)} ${'filter'.padEnd(16)} ${'s'.padEnd(3)} ${'pad'.padEnd(5)} ${'n'.padStart(3)} ${'Conv2D ms'.padStart(10)} ` +
        `${'dW before'.padStart(10)} ${'dW ms'.padStart(10)} ${'before/fwd'.padStart(10)} ${'dW/fwd'.padStart(7)}`,
    );
    let fwdTotal = 0;
    let dwTotal = 0;
    let beforeTotal = 0;
    for (const s of shapes.values()) {
      const x = tf.randomNormal<tf.Rank.R4>(s.x as [number, number, number, number], 0, 1, 'float32', 1);
      const w = tf.randomNormal<tf.Rank.R4>(s.w as [number, number, number, number], 0, 0.1, 'float32', 2);
      const y = tf.conv2d(x, w, s.strides, s.pad, 'NHWC', s.dil);
      const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 3);
      const dwOnce = () =>
        tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
          strides: s.strides,
          pad: s.pad,
          dataFormat: 'NHWC',
          dilations: s.dil,
          filterShape: s.w,
        } as unknown as tf.NamedAttrMap) as tf.Tensor;
      // "before": our SIMD kernel off (the XNNPACK routes it replaced). The three are timed in turn within each
      // repetition, so a slow spell of this shared machine hits all of them alike.
      const [fwd, before, dw] = interleavedMedianMs(
        [
          () => tf.conv2d(x, w, s.strides, s.pad, 'NHWC', s.dil),
          () => {
            setSimdKernelsEnabled(false);
            try {
              return dwOnce();
            } finally {
              setSimdKernelsEnabled(true);
            }
          },
          dwOnce,
        ],
        reps,
      );
      tf.dispose([x, w, y, dy]);
      fwdTotal += fwd * s.count;
      dwTotal += dw * s.count;
      beforeTotal += before * s.count;
      console.log(
        `    ${`[${s.x.join(',')}]`.padEnd(18)} ${`[${s.w.join(',')}]`.padEnd(16)} ${String(s.strides[0]).padEnd(3)} ${s.pad.padEnd(5)} ` +
          `${String(s.count).padStart(3)} ${fwd.toFixed(1).padStart(10)} ${before.toFixed(1).padStart(10)} ${dw.toFixed(1).padStart(10)} ` +
          `${(before / fwd).toFixed(2).padStart(10)} ${(dw / fwd).toFixed(2).padStart(7)}`,
      );
    }
    console.log(
      `    all ${name} conv layers (x n): Conv2D ${fwdTotal.toFixed(0)} ms, Conv2DBackpropFilter before ${beforeTotal.toFixed(0)} ms ` +
        `(ratio ${(beforeTotal / fwdTotal).toFixed(2)}), after ${dwTotal.toFixed(0)} ms (ratio ${(dwTotal / fwdTotal).toFixed(2)})`,
    );
  }
}

/** --memory: stock vs lean backward pass, one fresh process each, back to back. */
function memoryTable(models: ModelName[]): void {
  const script = fileURLToPath(import.meta.url);
  const mib = (b: number | null) => (b == null ? 'n/a' : `${(b / 2 ** 20).toFixed(0)} MiB`);
  console.log(`\npeak memory of one training step, batch ${BATCH}, 32x32x3, Adam (fresh process per row, back to back):`);
  console.log(`  ${'model'.padEnd(12)} ${'pass'.padEnd(6)} ${'wasm heap'.padStart(10)} ${'peak tensor buffers'.padStart(20)}  gradients (hash)`);
  for (const name of models) {
    const rows: StepMemory[] = [];
    for (const lean of [false, true]) {
      const args = ['--conditions=@db/source', '--import', 'tsx', script, '--memory-child', name];
      for (const k of ['backend', 'wasm-threads']) if (arg(k) !== undefined) args.push(`--${k}`, arg(k) as string);
      const child = spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, DB_LEAN_GRADIENTS: lean ? '1' : '0' } });
      const line = child.stdout.split('\n').find((l) => l.startsWith('MEMORY '));
      if (line == null) {
        console.log(`  ${name.padEnd(12)} ${(lean ? 'lean' : 'stock').padEnd(6)} failed: ${child.stderr.trim().split('\n').slice(-3).join(' / ')}`);
        continue;
      }
      const r = JSON.parse(line.slice('MEMORY '.length)) as StepMemory;
      rows.push(r);
      console.log(`  ${name.padEnd(12)} ${(r.lean ? 'lean' : 'stock').padEnd(6)} ${mib(r.heapBytes).padStart(10)} ${mib(r.peakBufferBytes).padStart(20)}  ${r.gradientHash}`);
    }
    if (rows.length === 2 && rows[0].heapBytes != null && rows[1].heapBytes != null) {
      console.log(
        `  ${name}: lean / stock = ${(rows[1].heapBytes / rows[0].heapBytes).toFixed(3)} (heap), ` +
          `${(rows[1].peakBufferBytes / rows[0].peakBufferBytes).toFixed(3)} (tensor buffers); gradients ` +
          (rows[0].gradientHash === rows[1].gradientHash ? 'bit-identical' : 'DIFFER'),
      );
    }
  }
}

async function main(): Promise<void> {
  const child = arg('memory-child');
  if (child !== undefined) return memoryChild(parseModels(child, [])[0]);
  if (flag('memory')) {
    const which = arg('memory');
    return memoryTable(which !== undefined && !which.startsWith('--') ? parseModels(which, []) : ['resnet50']);
  }
  if (flag('conv')) {
    const which = arg('conv');
    const threads = arg('wasm-threads');
    await useFastestBackend({ force: arg('backend'), wasmThreads: threads === undefined ? undefined : Number(threads) });
    const reps = arg('conv-reps') === undefined ? 5 : Number(arg('conv-reps'));
    if (!Number.isInteger(reps) || reps < 1) throw new RangeError(`--conv-reps must be a positive integer, got '${arg('conv-reps')}'`);
    return convTable(which !== undefined && !which.startsWith('--') ? parseModels(which, []) : ['customnet', 'resnet50'], reps);
  }
  const models = parseModels(arg('models'), ['customnet', 'resnet50', 'densenet121']);
  const cpuModels = parseModels(arg('cpu-models'), models.includes('customnet') ? ['customnet'] : []);
  const stepsArg = arg('steps');
  const threadsArg = arg('wasm-threads');
  const choice = await useFastestBackend({ force: arg('backend'), wasmThreads: threadsArg === undefined ? undefined : Number(threadsArg) });
  const backend = choice.backendName;

  const results: Partial<Record<ModelName, number>> = {};
  console.log(`\ntraining throughput, batch ${BATCH}, 32x32x3, Adam (${backend}):`);
  for (const name of models) {
    const steps = stepsArg ? Number(stepsArg) : DEFAULT_STEPS[name];
    const r = await throughput(name, steps, name === 'customnet' ? 2 : 1);
    results[name] = r.ips;
    console.log(`  ${name.padEnd(12)} ${r.ips.toFixed(1).padStart(8)} img/s  (${r.msPerStep.toFixed(0)} ms/step over ${steps} steps; tensors +${r.leak})`);
    // PyTorch right after CustomNet, so both see the same machine load.
    if (name === 'customnet' && !flag('no-torch')) comparePyTorch(r.ips, backend);
  }
  if (backend !== 'webgpu') {
    const gpu = await loadBenchWebGpu();
    const gpuModels = typeof gpu === 'string' ? [] : parseModels(arg('webgpu-models'), gpu.software ? ['customnet'] : models);
    if (typeof gpu === 'string') console.log(`\nwebgpu: not available (${gpu}), skipped`);
    else if (gpuModels.length > 0) {
      await tf.setBackend('webgpu');
      console.log(`\n${gpu.label}${gpu.software ? ' [a software Vulkan driver, not a GPU]' : ''}, same batches:`);
      for (const name of gpuModels) {
        const steps = stepsArg ? Number(stepsArg) : gpu.software ? 2 : DEFAULT_STEPS[name];
        const r = await throughput(name, steps, 1);
        const ours = results[name];
        const ratio = ours ? `; ${(r.ips / ours).toFixed(2)}x ${backend}` : '';
        console.log(`  ${name.padEnd(12)} ${r.ips.toFixed(1).padStart(8)} img/s  (${r.msPerStep.toFixed(0)} ms/step over ${steps} steps; tensors +${r.leak}${ratio})`);
      }
      await tf.setBackend(backend);
    }
  }
  if (flag('profile')) {
    const which = arg('profile');
    const name = which !== undefined && !which.startsWith('--') ? parseModels(which, [])[0] : 'customnet';
    await profileModel(name);
    await cpuProfileModel(name);
  }

  if (backend !== 'cpu' && cpuModels.length > 0) {
    await tf.setBackend('cpu');
    console.log(`\nplain cpu backend (pure JavaScript), one step of ${BATCH} images each, for comparison; it takes minutes per model:`);
    for (const name of cpuModels) {
      const wasmStep = results[name] ? ` (on ${backend} it took ${((BATCH / (results[name] as number))).toFixed(1)} s)` : '';
      console.log(`  ${name}: timing one cpu training step${wasmStep}...`);
      const stop = startTicker(`${name} cpu step`);
      const r = await throughput(name, 1, 0).finally(stop);
      const ours = results[name];
      const speedup = ours ? `  (${backend} is ${(ours / r.ips).toFixed(1)}x faster)` : '';
      console.log(`  ${name.padEnd(12)} ${r.ips.toFixed(2).padStart(8)} img/s  (${(r.msPerStep / 1000).toFixed(1)} s/step)${speedup}`);
    }
    await tf.setBackend(backend);
  }
}

main()
  .catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  })
  // The threaded wasm backend's pthread workers keep Node's event loop alive: exit explicitly.
  .finally(() => process.exit());
