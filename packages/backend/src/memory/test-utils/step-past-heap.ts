/**
 * Child-process script for heap-guard.test.ts (issue 19 item 2): on wasm with `threads` threads, fills the heap
 * to ~`headroomMiB` below its 4 GiB maximum with an untouched ballast (no resident memory: its pages are never
 * written), then runs an optimizer step of a small conv net whose activations need more than that, and prints one
 * JSON line: the error's name and message, the seconds until it was thrown, the tensor count before and after, and
 * the loss of a small-batch step run afterwards in the same process.
 * Usage: `node --conditions=@db/source --import tsx step-past-heap.ts <threads> <batch> [headroomMiB]`
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { useFastestBackend } from '../../index.js';
import { WASM_HEAP_MAX_BYTES } from '../heap-guard.js';

const [threads, batch, headroomMiB = 256] = process.argv.slice(2).map(Number);
await useFastestBackend({ force: 'wasm', wasmThreads: threads, log: () => undefined });
const module = (tf.backend() as unknown as { wasm: { _malloc(n: number): number; HEAPU8: Uint8Array } }).wasm;
module._malloc(WASM_HEAP_MAX_BYTES - module.HEAPU8.length - headroomMiB * 2 ** 20);

// conv 3x3 (8 -> 32) -> relu -> conv 3x3 (32 -> 32) -> mean of squares, on [batch, 64, 64, 8] inputs.
const w1 = tf.variable(tf.randomNormal([3, 3, 8, 32], 0, 0.1, 'float32', 1));
const w2 = tf.variable(tf.randomNormal([3, 3, 32, 32], 0, 0.1, 'float32', 2));
const optimizer = tf.train.sgd(0.01);
const step = (n: number) => {
  const x = tf.randomNormal<tf.Rank.R4>([n, 64, 64, 8], 0, 1, 'float32', 3);
  try {
    const loss = optimizer.minimize(() => {
      const h = tf.relu<tf.Tensor4D>(tf.conv2d(x, w1 as tf.Tensor4D, 1, 'same'));
      return tf.mean(tf.square(tf.conv2d(h, w2 as tf.Tensor4D, 1, 'same')));
    }, true) as tf.Scalar;
    const value = loss.dataSync()[0];
    loss.dispose();
    return value;
  } finally {
    x.dispose();
  }
};

const tensorsBefore = tf.memory().numTensors;
const start = performance.now();
let error: { name: string; message: string } | null = null;
try {
  step(batch);
} catch (e) {
  error = { name: (e as Error).name, message: (e as Error).message };
}
const seconds = (performance.now() - start) / 1000;
const tensorsAfter = tf.memory().numTensors;
const smallLoss = step(2);
console.log(`RESULT ${JSON.stringify({ error, seconds, tensorsBefore, tensorsAfter, smallLoss })}`);
