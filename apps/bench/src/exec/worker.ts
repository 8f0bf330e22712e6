/**
 * A worker process: runs one training run (or a calibration) sent by the bench over IPC and sends back progress
 * and the outcome. One run per process, so each run has its own 4 GB wasm heap, and a crash or an out-of-memory
 * abort costs that run only. The thread count comes from `DB_WASM_THREADS`, set by the parent.
 */
import * as tf from '@tensorflow/tfjs';
import { useFastestBackend, oneLineReason } from '@db/backend';
import type { RunConfig } from '../experiments/config.js';
import { loadRunner } from '../runners/registry.js';
import type { RunProgress } from '../runners/types.js';
import type { FromWorker, ToWorker } from './messages.js';

const PROGRESS_INTERVAL_MS = 250;

function send(message: FromWorker): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected || process.send === undefined) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}

/** One line for any error: the first line of its message (stack traces stay out of result files and terminals). */
function reasonOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  if (/memory access out of bounds|Aborted\(|out of memory|Cannot enlarge memory/i.test(text)) {
    return `out of memory in the wasm heap (${oneLineReason(error)}); use a smaller --batch-size or network`;
  }
  return oneLineReason(error);
}

async function runOne(config: RunConfig, dataDir: string | undefined, signal: AbortSignal): Promise<void> {
  const runner = await loadRunner(config.runner);
  let last = 0;
  const progress = (update: RunProgress) => {
    const now = performance.now();
    if (update.epochDone === undefined && update.step !== 0 && now - last < PROGRESS_INTERVAL_MS) return;
    last = now;
    void send({ type: 'progress', progress: update });
  };
  const outcome = await runner.run(config as never, { dataDir, signal, progress });
  await send({ type: 'done', outcome });
}

async function main(): Promise<void> {
  const controller = new AbortController();
  // The parent owns Ctrl-C: a terminal's SIGINT reaches the whole process group, and the parent decides (it sends
  // SIGTERM); SIGTERM stops at the next step.
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => {
    controller.abort();
    process.exit(143);
  });
  // When the parent dies (even by kill -9) the IPC channel closes: stop rather than train for nobody.
  process.on('disconnect', () => process.exit(1));
  const message = await new Promise<ToWorker>((resolve) => process.once('message', (m) => resolve(m as ToWorker)));
  const choice = await useFastestBackend({ log: () => {} });
  const threads = choice.backendName === 'wasm' ? Number(process.env.DB_WASM_THREADS || 0) || 1 : 1;
  await send({ type: 'ready', env: { backend: choice.backendName, threads, tfjs: tf.version_core } });
  if (message.type === 'run') {
    await runOne(message.config, message.dataDir, controller.signal);
  } else {
    for (let i = 0; i < message.configs.length; i++) {
      const config = message.configs[i];
      const runner = await loadRunner(config.runner);
      const sample = await runner.calibrate(config as never, { dataDir: message.dataDir, steps: message.steps });
      await send({ type: 'calibrated', index: i, sample });
    }
  }
}

main()
  .catch(async (error: unknown) => {
    await send({ type: 'failed', reason: reasonOf(error) });
  })
  // Threaded wasm's pthread workers keep Node alive: exit once the result is sent.
  .finally(() => process.exit(0));
