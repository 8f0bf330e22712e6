/**
 * `pnpm bench:op`: the cost of `dropBlock2d` relative to `tf.dropout` on the same tensor and backend.
 *
 * Tensor: [64, 32, 32, 64] NHWC float32 (= the 64x64x32x32 NCHW tensor of torchvision's benchmark, where
 * drop_block2d costs 1.8x (block 3) and 3.8x (block 7) of nn.Dropout). keepProb 0.9 vs dropout rate 0.1.
 * For each backend: warm-up calls, then `--repeats` rounds that time dropout, dropBlock k=3 and dropBlock k=7
 * back to back (interleaved, so background load hits all three alike); prints the median ms and the ratios.
 * The cpu and wasm backends execute kernels synchronously, so the time of the call is the time of the work; webgpu
 * (included when Dawn finds an adapter, named in its heading; DB_BENCH_WEBGPU=0 skips it) is timed to the read-back
 * of one element.
 *
 * Options: --backends webgpu,wasm,cpu   --repeats 9   --warmup 2   --channelsFirst (NCHW input instead)
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { dropBlock2d } from '@db/tfjs-layer';
import { loadBenchWebGpu } from './webgpu.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const backends = arg('backends', 'webgpu,wasm,cpu').split(',').filter(Boolean);
const repeats = Number(arg('repeats', '9'));
const warmup = Number(arg('warmup', '2'));
const channelsFirst = process.argv.includes('--channelsFirst');
const keepProb = 0.9;
const shape: [number, number, number, number] = channelsFirst ? [64, 64, 32, 32] : [64, 32, 32, 64];

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function time(f: () => tf.Tensor): Promise<number> {
  const t0 = performance.now();
  const y = f();
  // Reading one element forces completion on asynchronous backends (webgl, webgpu) at a negligible, equal cost;
  // asynchronously, because webgpu cannot read synchronously under Node.
  const one = y.slice([0, 0, 0, 0], [1, 1, 1, 1]);
  await one.data();
  one.dispose();
  const t = performance.now() - t0;
  y.dispose();
  return t;
}

async function main(): Promise<void> {
  // Silences the cpu backend's one-time "install tfjs-node" banner in the middle of the table.
  tf.env().set('IS_TEST', true);
  console.log(
    `dropBlock2d vs tf.dropout, x = [${shape.join(', ')}] ${channelsFirst ? 'NCHW' : 'NHWC'} float32, ` +
      `keepProb ${keepProb} (dropout rate ${(1 - keepProb).toFixed(2)}), median of ${repeats} after ${warmup} warm-up`,
  );
  for (const backend of backends) {
    let heading = `backend ${backend}`;
    if (backend === 'webgpu') {
      const gpu = await loadBenchWebGpu();
      if (typeof gpu === 'string') {
        console.log(`\nwebgpu: not available (${gpu}), skipped`);
        continue;
      }
      heading = `backend ${gpu.label}`;
    }
    if (!(await tf.setBackend(backend))) {
      console.log(`${backend}: not available, skipped`);
      continue;
    }
    await tf.ready();
    const x = tf.randomNormal(shape) as tf.Tensor4D;
    const dataFormat = channelsFirst ? 'channelsFirst' : 'channelsLast';
    const cases: Record<string, () => tf.Tensor> = {
      dropout: () => tf.dropout(x, 1 - keepProb),
      'dropBlock k=3': () => dropBlock2d(x, { keepProb, blockSize: 3, dataFormat }),
      'dropBlock k=7': () => dropBlock2d(x, { keepProb, blockSize: 7, dataFormat }),
    };
    const times: Record<string, number[]> = {};
    for (const name of Object.keys(cases)) times[name] = [];
    for (let r = 0; r < warmup + repeats; r++) {
      for (const [name, f] of Object.entries(cases)) {
        const t = await time(f);
        if (r >= warmup) times[name].push(t);
      }
    }
    x.dispose();
    const base = median(times['dropout']);
    console.log(`\n${heading}`);
    for (const name of Object.keys(cases)) {
      const m = median(times[name]);
      console.log(`  ${name.padEnd(14)} ${m.toFixed(1).padStart(8)} ms   ratio ${(m / base).toFixed(2)}x`);
    }
  }
}

await main();
