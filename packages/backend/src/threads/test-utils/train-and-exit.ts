/**
 * Child-process script for threaded-wasm.test.ts: trains a small conv net for a few steps on the threaded wasm
 * backend and returns from the top level without calling process.exit. The test asserts that the process then
 * exits by itself (its pthread workers must not keep Node alive) and prints the line below.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels } from '../../kernels/register.js';
import { useThreadedWasm } from '../threaded-wasm.js';

registerWasmTrainingKernels();
useThreadedWasm({ threads: 2 });
await tf.setBackend('wasm');
const model = tf.sequential({
  layers: [
    tf.layers.conv2d({ inputShape: [8, 8, 3], filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' }),
    tf.layers.batchNormalization(),
    tf.layers.flatten(),
    tf.layers.dense({ units: 2, activation: 'softmax' }),
  ],
});
model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
const x = tf.randomNormal([4, 8, 8, 3], 0, 1, 'float32', 1);
const y = tf.oneHot(tf.tensor1d([0, 1, 0, 1], 'int32'), 2);
await model.fit(x, y, { epochs: 2, batchSize: 2, verbose: 0 });
console.log(`trained on ${tf.getBackend()} with ${getThreadsCount()} threads`);
