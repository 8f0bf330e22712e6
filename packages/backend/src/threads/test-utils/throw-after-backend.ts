/**
 * Child-process script for threaded-wasm.test.ts: selects the backend as a user would (threaded wasm, 2 threads),
 * runs one op, then throws an uncaught error. The test checks what Node prints for it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { useFastestBackend } from '../../select/use-fastest-backend.js';

await useFastestBackend({ force: 'wasm', wasmThreads: 2, log: () => undefined });
tf.add(tf.scalar(1), tf.scalar(2)).dataSync();
throw new Error(`the user's own error (backend ${tf.getBackend()})`);
