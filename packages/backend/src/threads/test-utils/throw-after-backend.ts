/**
 * Child-process script for threaded-wasm.test.ts: selects the wasm backend as a user would (threads from
 * DB_WASM_THREADS: 1 = upstream's single-threaded binary, 2 = the threaded one), runs one op, then throws an
 * uncaught error. The test checks what Node prints for it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { useFastestBackend } from '../../select/use-fastest-backend.js';

await useFastestBackend({ force: 'wasm', log: () => undefined });
tf.add(tf.scalar(1), tf.scalar(2)).dataSync();
throw new Error(`the user's own error (backend ${tf.getBackend()})`);
