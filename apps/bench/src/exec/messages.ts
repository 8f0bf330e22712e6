/** Messages between the bench (parent) and a worker process, over Node's IPC channel. */
import type { RunConfig } from '../experiments/config.js';
import type { CalibrationSample, RunOutcome, RunProgress } from '../runners/types.js';

/** What a worker process runs on. */
export interface WorkerEnvironment {
  /** TF.js backend name, e.g. `wasm`. */
  backend: string;
  /** XNNPACK threads of the wasm backend (1 elsewhere: not applicable). */
  threads: number;
  /** `@tensorflow/tfjs-core` version. */
  tfjs: string;
}

/** Parent to worker. */
export type ToWorker =
  | { type: 'run'; config: RunConfig; dataDir: string | undefined }
  | { type: 'calibrate'; configs: RunConfig[]; dataDir: string | undefined; steps: number };

/** Worker to parent. */
export type FromWorker =
  | { type: 'ready'; env: WorkerEnvironment }
  | { type: 'progress'; progress: RunProgress }
  | { type: 'done'; outcome: RunOutcome }
  | { type: 'calibrated'; index: number; sample: CalibrationSample }
  | { type: 'failed'; reason: string };
