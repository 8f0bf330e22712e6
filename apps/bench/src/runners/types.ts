/**
 * The interface every table's runner implements. A runner trains one run of its kind inside a worker process
 * (`exec/worker.ts`) and measures its networks' speed for the plan's estimate. Which runner a table uses is its
 * `runner` field (`experiments/tables.ts`); `runners/registry.ts` maps each kind to its module.
 */
import type { RunConfig } from '../experiments/config.js';
import type { RunnerKind } from '../experiments/tables.js';

/** One epoch of a run's history. `loss` is the mean training loss; the other fields depend on the runner. */
export interface EpochRecord {
  /** Epoch number, 1-based. */
  epoch: number;
  /** Mean training loss over the epoch. */
  loss: number;
  /** Seconds the epoch took (training and evaluation). */
  seconds: number;
  /** Test accuracy after the epoch (classification). */
  accuracy?: number;
  /** Mean training accuracy over the epoch (classification). */
  trainAccuracy?: number;
  /** Loss on the test / validation images after the epoch. */
  valLoss?: number;
  /**
   * Test accuracy with BatchNorm's moving statistics (Keras' own inference). `accuracy` is the figure of the run's
   * `bnStatistics` setting: with `precise` (the default) the statistics recomputed on training images.
   */
  accuracyMovingBn?: number;
  /** `valLoss` with BatchNorm's moving statistics. */
  valLossMovingBn?: number;
}

/** What a finished run returns: its history and its final metrics (all numbers). */
export interface RunOutcome {
  /** One entry per epoch. */
  history: EpochRecord[];
  /**
   * Final metrics. Classification: `accuracy` (test accuracy after the last epoch, with the BatchNorm statistics of
   * `settings.bnStatistics`), `accuracyMovingBn` (with the moving statistics), `bestAccuracy`, `loss`, `valLoss`,
   * `valLossMovingBn`, `bnImages` (training images precise BN used), `trainImages`, `testImages` (the counts actually
   * used), `steps`. Detection: `loss`, `valLoss`, `bestLoss`, `bestValLoss`,
   * `mAP` (COCO AP@[.5:.95]), `secondsPerStep`.
   */
  metrics: Record<string, number>;
  /** Extra arrays worth keeping (detection: `cocoStats`, the 12 numbers of pycocotools' summarize()). */
  series?: Record<string, number[]>;
}

/** Live progress of a run, sent by the worker to the parent (throttled by the worker). */
export interface RunProgress {
  /** Current epoch, 1-based. */
  epoch: number;
  /** Epochs of the run. */
  epochs: number;
  /** Step within the epoch, 1-based (0 while evaluating). */
  step: number;
  /** Steps per epoch. */
  steps: number;
  /** Latest training loss, if any. */
  loss?: number;
  /** Set once per epoch, when the epoch's record is complete. */
  epochDone?: EpochRecord;
}

/** What a runner gets to run with. */
export interface RunContext {
  /** Data directory (`--data-dir` / `DB_DATA_DIR`), or undefined for the loaders' defaults. */
  dataDir: string | undefined;
  /** Aborted when the bench stops (Ctrl-C); the runner stops at the next step and rejects. */
  signal: AbortSignal;
  /** Reports progress; cheap to call every step. */
  progress(update: RunProgress): void;
}

/**
 * Measured speed of one network configuration on this backend with the threads one job gets. The plan's estimate
 * of a run is `setupSeconds + images * secondsPerLoadedImage + epochs * (trainImages * secondsPerTrainImage +
 * evaluation)`, the evaluation being the test images once or twice and the precise-BN pass (presets.ts,
 * estimateRunSeconds).
 */
export interface CalibrationSample {
  /** Seconds per training image (one step of `batchSize` images, divided by `batchSize`). */
  secondsPerTrainImage: number;
  /** Seconds per evaluated image (forward pass, or validation loss and prediction for detection). */
  secondsPerEvalImage: number;
  /**
   * Fixed seconds of a run with this network: building it and the first step's extra time (kernel set-up). The
   * bench adds the process overhead every run pays whatever its network (worker start-up, modules, exit), measured
   * once by a tiny real run (`measureRunOverhead`).
   */
  setupSeconds: number;
  /** Seconds per image loaded from disk and decoded (training and test images, once per run); absent: 0. */
  secondsPerLoadedImage?: number;
  /** Seconds per training image of precise BN's recalibration pass; absent: twice `secondsPerEvalImage`. */
  secondsPerBnImage?: number;
  /** What was measured, e.g. `ResNet-50 32x32x3, batch 64: 3 steps`. */
  note: string;
}

/** Context of a calibration. */
export interface CalibrateContext {
  /** Data directory, as for runs. */
  dataDir: string | undefined;
  /** Timed steps to average over (after one untimed warm-up step). */
  steps: number;
}

/** A table runner: trains its kind of run and measures its networks. */
export interface Runner<C extends RunConfig = RunConfig> {
  /** The kind of table it runs. */
  readonly kind: RunnerKind;
  /**
   * Checks that the data the configs need can be found (in `dataDir`, a cache, a package, or by download). Returns
   * one line per problem: which files are missing and how to get them. Runs in the parent, before any training.
   */
  checkData(configs: readonly C[], dataDir: string | undefined): Promise<string[]>;
  /** Runs with the same key share one calibration (same network, input and batch size). */
  calibrationKey(config: C): string;
  /** Measures the speed of `config`'s network (in a worker, with the run's thread count). */
  calibrate(config: C, context: CalibrateContext): Promise<CalibrationSample>;
  /** Trains and evaluates one run. Rejects with an Error whose message is the one-line reason on failure. */
  run(config: C, context: RunContext): Promise<RunOutcome>;
}
