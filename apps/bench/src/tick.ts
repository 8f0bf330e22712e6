/**
 * A progress ticker for benchmarks whose measured call blocks the main thread for minutes (TF.js's cpu backend runs
 * its kernels synchronously, so timers on the main thread do not fire). The ticker lives in a worker thread and
 * writes straight to the stdout file descriptor, so its lines appear while the main thread is busy.
 */
import { Worker } from 'node:worker_threads';

const TICKER = `
const { workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const start = Date.now();
setInterval(() => {
  const s = Math.round((Date.now() - start) / 1000);
  writeSync(1, '  ... ' + workerData.label + ': ' + s + ' s so far\\n');
}, workerData.everyMs);
`;

/** Prints `  ... <label>: N s so far` every `everyMs` until the returned function is called. */
export function startTicker(label: string, everyMs = 15_000): () => Promise<void> {
  const worker = new Worker(TICKER, { eval: true, workerData: { label, everyMs } });
  worker.unref();
  return async () => {
    await worker.terminate();
  };
}
