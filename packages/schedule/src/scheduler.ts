import { Callback, type LayersModel, type Logs, type layers } from '@tensorflow/tfjs-layers';
import { assertKnownOptions, describeValue, optionKeys } from '@db/core';
import { findDropBlockLayers, type DropBlockLayer } from './find-layers.js';
import { resolveScaleFactors, scaleKeepProb, type LayerScale } from './scale.js';
import { trainingProgress } from './schedules/progress.js';
import type { KeepProbSchedule } from './schedules/types.js';
import { assertOptionsObject, assertPositiveInteger, assertProgress } from './validate.js';

/**
 * When {@link DropBlockScheduler} updates keepProb: before every batch (the paper's per-step schedule) or before
 * every epoch.
 */
export type ScheduleGranularity = 'batch' | 'epoch';

/**
 * What {@link DropBlockScheduler} does when the model has no DropBlock layer: warn once (default), do nothing, or
 * throw.
 */
export type MissingLayersPolicy = 'warn' | 'ignore' | 'throw';

/** Options of {@link DropBlockScheduler}. */
export interface DropBlockSchedulerOptions {
  /** keepProb as a function of training progress, e.g. `linearSchedule({ target: 0.9 })`. */
  schedule: KeepProbSchedule;
  /**
   * `'batch'` (default): keepProb is set before every batch from the global step, as the paper and the official
   * TensorFlow ResNet do. `'epoch'`: set before every epoch from the epoch index, constant within an epoch.
   */
  granularity?: ScheduleGranularity;
  /**
   * Total number of batches of the whole schedule (granularity `'batch'` only). Without it the total comes from
   * the `params` that `fit` passes: `epochs * stepsPerEpoch`, where stepsPerEpoch is `params.steps` (fitDataset:
   * `batchesPerEpoch` or the dataset's size) or else `ceil(samples / batchSize)` (fit). Give it when fitDataset
   * cannot know the size, or when training is split over several `fit` calls: with an explicit total the scheduler
   * counts the batches itself, across calls, until {@link DropBlockScheduler.reset}. A `fit` that resumes at
   * `initialEpoch` moves that count forward to `initialEpoch * stepsPerEpoch` when it is behind, so a new scheduler
   * continues the ramp.
   */
  totalSteps?: number;
  /**
   * Total number of epochs of the whole schedule (granularity `'epoch'` only). Without it, `params.epochs` of the
   * `fit` call. With it, the scheduler counts epochs itself, across `fit` calls, until `reset()`, starting no lower
   * than the `initialEpoch` a resumed `fit` gives.
   */
  totalEpochs?: number;
  /** Per-layer drop-rate factors; see {@link LayerScale} and {@link scaleKeepProb}. Default: every layer factor 1. */
  scale?: LayerScale;
  /**
   * Key under which the scheduled keepProb (before per-layer scaling) is written into the batch and epoch logs,
   * so it shows up in `history.history[logKey]` and in later callbacks. Default `'keepProb'`; `null` turns it off.
   */
  logKey?: string | null;
  /** What to do when the model has no DropBlock layer at the start of training. Default `'warn'`. */
  onMissingLayers?: MissingLayersPolicy;
}

const SCHEDULER_OPTION_KEYS = optionKeys<DropBlockSchedulerOptions>()([
  'schedule',
  'granularity',
  'totalSteps',
  'totalEpochs',
  'scale',
  'logKey',
  'onMissingLayers',
]);

/**
 * A `tf.Callback` that drives the keepProb of every DropBlock layer of a model along a schedule during
 * `model.fit` / `model.fitDataset`: Ghiasi, Lin, Le, *DropBlock* (NeurIPS 2018), §3 "Scheduled DropBlock" (keep
 * keepProb at 1.0 at first and lower it gradually to its target; a fixed value hurts early training).
 *
 * - Finds the layers by type with {@link findDropBlockLayers} (nested models and wrappers included, no naming
 *   convention), again at every `fit` call.
 * - Before each batch (or epoch), computes progress with {@link trainingProgress} (0 on the first step, 1 on the
 *   last, so a linear schedule gives exactly 1.0 first and exactly the target last) and sets each layer's keepProb
 *   to `scaleKeepProb(schedule(progress), factor)`.
 * - At the end of training the layers keep their final (target) value; inference ignores keepProb anyway.
 * - A model without DropBlock layers is left alone; by default a warning says so once (`onMissingLayers`).
 *
 * For a custom training loop, call {@link DropBlockScheduler.attach} once and {@link DropBlockScheduler.update}
 * with the progress before each step. The scheduler makes no tensors.
 *
 * @example
 * ```ts
 * const scheduler = new DropBlockScheduler({ schedule: linearSchedule({ target: 0.9 }) });
 * const history = await model.fit(xs, ys, { epochs: 10, batchSize: 32, callbacks: [scheduler] });
 * history.history.keepProb; // keepProb at the end of each epoch
 * ```
 */
export class DropBlockScheduler extends Callback {
  /** When keepProb is updated: per batch or per epoch. */
  readonly granularity: ScheduleGranularity;
  private readonly schedule: KeepProbSchedule;
  private readonly scale: LayerScale | undefined;
  private readonly logKey: string | null;
  private readonly onMissingLayers: MissingLayersPolicy;
  /** The user's totalSteps / totalEpochs, if given: then `counter` is the index, kept across fit calls. */
  private readonly explicitTotal: number | undefined;
  private found: DropBlockLayer[] = [];
  private factors: number[] = [];
  private attached = false;
  private current: number | null = null;
  private total = 0;
  private stepsPerEpoch = 0;
  private epoch = 0;
  private counter = 0;
  private warned = false;

  constructor(options: DropBlockSchedulerOptions) {
    super();
    assertOptionsObject(options, 'DropBlockScheduler options');
    assertKnownOptions(options, SCHEDULER_OPTION_KEYS, 'DropBlockScheduler options');
    const { schedule, granularity = 'batch', totalSteps, totalEpochs, scale, logKey = 'keepProb' } = options;
    const onMissingLayers = options.onMissingLayers ?? 'warn';
    if (typeof schedule !== 'function') {
      throw new TypeError(
        `schedule must be a function of training progress, e.g. linearSchedule({ target: 0.9 }), got ` +
          describeValue(schedule),
      );
    }
    if (granularity !== 'batch' && granularity !== 'epoch') {
      throw new TypeError(`granularity must be 'batch' or 'epoch', got ${describeValue(granularity)}`);
    }
    if (totalSteps !== undefined) {
      assertPositiveInteger(totalSteps, 'totalSteps');
      if (granularity !== 'batch') {
        throw new TypeError(`totalSteps applies to granularity 'batch'; with 'epoch' give totalEpochs`);
      }
    }
    if (totalEpochs !== undefined) {
      assertPositiveInteger(totalEpochs, 'totalEpochs');
      if (granularity !== 'epoch') {
        throw new TypeError(`totalEpochs applies to granularity 'epoch'; with 'batch' give totalSteps`);
      }
    }
    if (scale !== undefined && typeof scale !== 'function' && (typeof scale !== 'object' || scale === null)) {
      throw new TypeError(
        `scale must be a function (layer, index) => factor or a map from layer name to factor, got ${describeValue(scale)}`,
      );
    }
    if (logKey !== null && (typeof logKey !== 'string' || logKey.length === 0)) {
      throw new TypeError(`logKey must be a non-empty string or null, got ${describeValue(logKey)}`);
    }
    if (onMissingLayers !== 'warn' && onMissingLayers !== 'ignore' && onMissingLayers !== 'throw') {
      throw new TypeError(`onMissingLayers must be 'warn', 'ignore' or 'throw', got ${describeValue(onMissingLayers)}`);
    }
    this.schedule = schedule;
    this.granularity = granularity;
    this.scale = scale;
    this.logKey = logKey;
    this.onMissingLayers = onMissingLayers;
    this.explicitTotal = granularity === 'batch' ? totalSteps : totalEpochs;
  }

  /**
   * The keepProb last set by the schedule, before per-layer scaling; `null` before the first update (or after
   * {@link DropBlockScheduler.reset}).
   */
  get currentKeepProb(): number | null {
    return this.current;
  }

  /** The DropBlock layers the scheduler drives, in search order (empty until attached to a model). */
  get dropBlockLayers(): readonly DropBlockLayer[] {
    return this.found;
  }

  /**
   * Called by `fit` with the model being trained: finds its DropBlock layers (see
   * {@link DropBlockScheduler.attach}).
   */
  override setModel(model: LayersModel): void {
    super.setModel(model);
    this.attach(model);
  }

  /**
   * Finds the DropBlock layers of `model` and resolves their scale factors, without changing any keepProb. `fit`
   * does this itself; call it for custom training loops before {@link DropBlockScheduler.update}.
   * @returns the layers found.
   */
  attach(model: layers.Layer): readonly DropBlockLayer[] {
    const found = findDropBlockLayers(model);
    this.factors = resolveScaleFactors(found, this.scale);
    this.found = found;
    this.attached = true;
    return found;
  }

  /**
   * Sets every layer's keepProb for training progress `progress` in [0, 1] (use {@link trainingProgress} to turn
   * a step into progress). For custom training loops; `fit` calls it through the callback hooks.
   * @returns the scheduled keepProb, before per-layer scaling.
   */
  update(progress: number): number {
    if (!this.attached) {
      throw new Error(
        'DropBlockScheduler.update: no model yet; call attach(model) first, or pass the scheduler to model.fit.',
      );
    }
    assertProgress(progress);
    const keepProb = this.schedule(progress);
    if (typeof keepProb !== 'number' || !(keepProb > 0 && keepProb <= 1)) {
      const ErrorClass = typeof keepProb === 'number' ? RangeError : TypeError;
      throw new ErrorClass(
        `schedule(${progress}) must return a keepProb: a number in (0, 1], got ${describeValue(keepProb)}`,
      );
    }
    this.found.forEach((layer, i) => {
      layer.keepProb = scaleKeepProb(keepProb, this.factors[i]);
    });
    this.current = keepProb;
    return keepProb;
  }

  /**
   * Restarts the internal step / epoch count used with an explicit totalSteps / totalEpochs, and forgets the
   * current keepProb.
   */
  reset(): void {
    this.counter = 0;
    this.current = null;
  }

  override async onTrainBegin(): Promise<void> {
    if (this.found.length === 0) {
      if (this.onMissingLayers === 'throw') {
        throw new Error('DropBlockScheduler: the model has no DropBlock layer (DropBlock2D / DropBlock3D).');
      }
      if (this.onMissingLayers === 'warn' && !this.warned) {
        this.warned = true;
        console.warn(
          'DropBlockScheduler: the model has no DropBlock layer (DropBlock2D / DropBlock3D); nothing to schedule.',
        );
      }
      return;
    }
    this.total = this.explicitTotal ?? this.totalFromParams();
    if (this.explicitTotal !== undefined) this.resumeCounter();
  }

  /**
   * With an explicit total the scheduler counts steps itself, but a `fit` that resumes at `initialEpoch` (e.g. in a
   * new process, with a new scheduler) has already done `initialEpoch` epochs: the count must not run behind them,
   * or the ramp restarts at 1.0.
   */
  private resumeCounter(): void {
    const initialEpoch = this.params?.['initialEpoch'];
    if (typeof initialEpoch !== 'number' || !Number.isInteger(initialEpoch) || initialEpoch <= 0) return;
    if (this.granularity === 'epoch') {
      this.counter = Math.max(this.counter, initialEpoch);
      return;
    }
    const stepsPerEpoch = this.stepsPerEpochFromParams();
    if (stepsPerEpoch === undefined) {
      throw new Error(
        `DropBlockScheduler: fit resumes at initialEpoch ${initialEpoch} but its params do not tell the number of ` +
          `batches per epoch, so the step to resume the schedule at is unknown; give fitDataset a batchesPerEpoch.`,
      );
    }
    this.counter = Math.max(this.counter, initialEpoch * stepsPerEpoch);
  }

  override async onEpochBegin(epoch: number): Promise<void> {
    this.epoch = epoch;
    if (this.found.length === 0 || this.granularity !== 'epoch') return;
    const index = this.explicitTotal !== undefined ? this.counter : epoch;
    this.update(trainingProgress(index, this.total));
  }

  override async onBatchBegin(batch: number): Promise<void> {
    if (this.found.length === 0 || this.granularity !== 'batch') return;
    // The global step: fit's epoch index is absolute (it starts at initialEpoch when resuming), so a resumed
    // fit continues the schedule where it stopped.
    const index = this.explicitTotal !== undefined ? this.counter : this.epoch * this.stepsPerEpoch + batch;
    this.update(trainingProgress(index, this.total));
  }

  override async onBatchEnd(_batch: number, logs?: Logs): Promise<void> {
    if (this.found.length === 0) return;
    if (this.granularity === 'batch' && this.explicitTotal !== undefined) this.counter++;
    this.writeLog(logs);
  }

  override async onEpochEnd(_epoch: number, logs?: Logs): Promise<void> {
    if (this.found.length === 0) return;
    if (this.granularity === 'epoch' && this.explicitTotal !== undefined) this.counter++;
    this.writeLog(logs);
  }

  private writeLog(logs: Logs | undefined): void {
    if (this.logKey !== null && logs != null && this.current !== null) logs[this.logKey] = this.current;
  }

  /** The schedule's length from the params `fit` / `fitDataset` hand to callbacks (tfjs-layers configureCallbacks). */
  private totalFromParams(): number {
    const params = this.params ?? {};
    const epochs = params['epochs'];
    if (typeof epochs !== 'number' || !Number.isInteger(epochs) || epochs < 1) {
      throw new Error(
        `DropBlockScheduler: fit's params give no epoch count (epochs = ${String(epochs)}); pass ` +
          `${this.granularity === 'batch' ? 'totalSteps' : 'totalEpochs'}.`,
      );
    }
    if (this.granularity === 'epoch') return epochs;
    const stepsPerEpoch = this.stepsPerEpochFromParams();
    if (stepsPerEpoch === undefined) {
      throw new Error(
        `DropBlockScheduler: cannot tell the number of batches per epoch from fit's params (steps = ` +
          `${String(params['steps'])}, samples = ${String(params['samples'])}, batchSize = ` +
          `${String(params['batchSize'])}); pass totalSteps, give fitDataset a batchesPerEpoch, or use granularity 'epoch'.`,
      );
    }
    this.stepsPerEpoch = stepsPerEpoch;
    return epochs * stepsPerEpoch;
  }

  /** Batches per epoch from fit's params: `steps` (fitDataset), else `ceil(samples / batchSize)` (fit); undefined when unknown. */
  private stepsPerEpochFromParams(): number | undefined {
    const params = this.params ?? {};
    const steps = params['steps'];
    const samples = params['samples'];
    const batchSize = params['batchSize'];
    let stepsPerEpoch: number | undefined;
    if (typeof steps === 'number' && Number.isFinite(steps) && steps > 0) {
      stepsPerEpoch = steps;
    } else if (typeof samples === 'number' && typeof batchSize === 'number' && samples > 0 && batchSize > 0) {
      // fit() splits `samples` into batches of batchSize, the last one possibly smaller (makeBatches).
      stepsPerEpoch = Math.ceil(samples / batchSize);
    }
    return stepsPerEpoch !== undefined && Number.isInteger(stepsPerEpoch) ? stepsPerEpoch : undefined;
  }
}
