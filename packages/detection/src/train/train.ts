import * as tf from '@tensorflow/tfjs-core';
import { cocoSamples, loadCoco, type CocoDataset, type DetectionSample, type JpegDecoder } from '@db/datasets';
import { KERAS_RESNET50_NOTOP_WEIGHTS, recalibrateBatchNorm, withRecalibratedBatchNorm, regularizer as reg, type RegularizerSpec } from '@db/models';
import { DropBlockScheduler, linearSchedule, trainingProgress } from '@db/schedule';
import type { CocoDetection, DecodeOptions } from '../decode/decode.js';
import type { MatchThresholds } from '../encode/encode.js';
import { retinaNetLoss } from '../loss/retinanet-loss.js';
import { buildRetinaNet, type RetinaNet } from '../model/retinanet.js';
import { batchesOf, detectionTransform, encodeBatch, imagesToInput } from './batches.js';
import { loadBackboneWeights, type BackboneWeights } from './backbone-weights.js';
import { kerasIoLearningRate } from './learning-rate.js';
import { predictCoco } from './predict.js';
import { EpochProgress } from './progress.js';
import { DECODE_OPTION_KEYS, TRAIN_OPTION_KEYS, VALIDATION_LOSS_OPTION_KEYS, assertKnownOptions } from '../option-keys.js';

/** Options of {@link trainRetinaNet}. */
export interface RetinaNetTrainOptions {
  /** COCO root with `train2017/`, `val2017/` and `annotations/instances_{train,val}2017.json`. */
  dataDir: string;
  /** Square input side in px, a multiple of 128 (the transform pads to it). Default 640. */
  inputSize?: number;
  /** Regulariser in the backbone (see `buildRetinaNet`). Default none. */
  regularizer?: RegularizerSpec;
  /** Also regularise the FPN outputs. Default false. */
  regularizeFpn?: boolean;
  /** Passes over the training images. */
  epochs: number;
  /** Images per step. Default 2 (keras-io's). */
  batchSize?: number;
  /** Use only the first N training images (JSON order). Default all. */
  trainImages?: number;
  /** Use only the first N validation images (JSON order). Default all. */
  valImages?: number;
  /** Seed of the weights, masks, shuffling, jitter and flips. Default 0. */
  seed?: number;
  /**
   * `'momentum'`: SGD with momentum 0.9, keras-io's (default). `'adam'`: Adam (beta 0.9 / 0.999, epsilon 1e-7 as
   * Keras), for runs from scratch that must fit a few images in few steps.
   */
  optimizer?: 'momentum' | 'adam';
  /** A fixed rate or a function of the step (0-based). Default keras-io's piecewise schedule, {@link kerasIoLearningRate}. */
  learningRate?: number | ((step: number) => number);
  /** DropBlock keepProb ramps linearly from 1 to the target over this many steps (paper sec. 3). Default: the whole run. */
  keepProbRampSteps?: number;
  /**
   * Pretrained backbone weights, loaded before training: `'imagenet'` (Keras' ImageNet ResNet-50 notop file, the
   * start of keras-io's example; downloaded once, md5-verified, into the cache), the path of that file (or of any
   * Keras weights file with every backbone layer), or a function that loads them. With a Keras file the backbone's
   * BatchNorm epsilon is Keras' 1.001e-5. Nothing is frozen (keras-io trains every layer) and BatchNorm is treated
   * as keras-io does: in training mode during training (the batch's statistics, moving averages updated, gamma and
   * beta trained), moving statistics at inference. Default: none, the backbone starts from its random initialisation.
   */
  backboneWeights?: BackboneWeights;
  /**
   * Precise BatchNorm (Wu & Johnson 2021, sec. 3; @db/models' `recalibrateBatchNorm`): the validation pass after
   * each epoch uses every BatchNorm layer's population statistics over the training images (training transform, at
   * most `maxImages`, forward passes of `batchSize`, default the training batch size) instead of the momentum-0.99
   * moving averages, which after a few hundred steps still sit near their initial (0, 1) and lag the weights;
   * training goes on with the moving averages. After the last epoch the returned model keeps the population
   * statistics (and `predictVal` uses them). Default false.
   */
  preciseBatchNorm?: boolean | { maxImages?: number; batchSize?: number };
  /** Cache folder of the `'imagenet'` weights file (see {@link imagenetBackboneFile}). */
  cacheDir?: string;
  /**
   * Anchor matching (see `encodeLabels`): with low-quality matches (default true, Detectron2's and torchvision's
   * rule) every non-crowd object has positive anchors; `false` is keras-io's rule (IoU >= 0.5 only).
   */
  allowLowQualityMatches?: boolean;
  /** Training augmentation: keras-io's scale jitter and horizontal flip. Default true; false trains on the evaluation transform. */
  augment?: boolean;
  /** Bottleneck blocks per backbone stage (see `buildRetinaNet`); default ResNet-50's [3, 4, 6, 3]. */
  stageBlocks?: readonly [number, number, number, number];
  /** Called after each epoch with its mean training loss, validation loss and duration, and the model being trained. */
  onEpochEnd?: (epoch: number, logs: { loss: number; valLoss: number; seconds: number }, model: RetinaNet) => void | Promise<void>;
  /** Called after each step with its loss. */
  onBatchEnd?: (step: number, logs: { loss: number }) => void;
  /** Stops training between steps; the promise then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Progress on stderr: a live line on a terminal, one line per epoch otherwise. Default true. */
  verbose?: boolean;
  /** JPEG decoder. Default `auto`. */
  decoder?: JpegDecoder;
  /** Decoding settings of the `predictVal` detections; default keras-io's (score above 0.05, NMS IoU 0.5, 100). */
  decode?: DecodeOptions;
}

/** One epoch of {@link RetinaNetTrainResult.history}. */
export interface EpochLog {
  /** Epoch index, 0-based. */
  epoch: number;
  /** Mean training loss (focal + smooth L1, keras-io's units) over the epoch's images. */
  loss: number;
  /** Mean validation loss over the validation images, after the epoch, in inference mode. */
  valLoss: number;
  /** Wall time of the epoch (training and validation). */
  seconds: number;
}

/** What {@link trainRetinaNet} returns. */
export interface RetinaNetTrainResult {
  /** Loss and validation loss per epoch. */
  history: EpochLog[];
  /** Mean wall time of a training step (batch), the first step (warm-up) left out when there are more. */
  secondsPerStep: number;
  /** The trained detector. */
  model: RetinaNet;
  /** Where the backbone's weights came from: `'random initialisation'` or what `backboneWeights` loaded. */
  backbone: string;
  /** Whether the backbone started from pretrained weights (`backboneWeights` was given). */
  pretrained: boolean;
  /** The anchor matching used: low-quality matches (the default) or keras-io's rule. */
  allowLowQualityMatches: boolean;
  /** Detections on the validation images after training, when `predictVal` is set. */
  detections?: CocoDetection[];
}

function positiveInt(value: number | undefined, name: string, fallback?: number): number {
  const v = value ?? fallback;
  if (v === undefined || !Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${String(value)}`);
  return v;
}

/** Mean losses of one pass; the loss of each batch is weighted by its images. */
interface Pass {
  loss: number;
  classification: number;
  box: number;
  images: number;
  steps: number;
}

/**
 * One SGD step on a batch: forward in training mode, keras-io's loss, gradients of every trainable weight, update.
 * Everything happens inside `tf.tidy`; only the optimizer's slots persist. Returns the batch's losses.
 */
export async function trainStep(
  net: RetinaNet,
  optimizer: tf.Optimizer,
  input: tf.Tensor4D,
  boxTargets: tf.Tensor3D,
  classTargets: tf.Tensor2D,
): Promise<{ loss: number; classification: number; box: number }> {
  const vars = net.model.trainableWeights.map((w) => w.read() as tf.Variable);
  const parts = tf.tidy(() => {
    let cls: tf.Scalar | undefined;
    let box: tf.Scalar | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const p = retinaNetLoss(net.predict(input, true), boxTargets, classTargets);
      cls = tf.keep(p.classification);
      box = tf.keep(p.box);
      return p.total;
    }, vars);
    optimizer.applyGradients(grads);
    const stacked = tf.stack([value, cls as tf.Scalar, box as tf.Scalar]);
    // Kept to escape variableGrads' own scope; this tidy does not free kept tensors, so free them here.
    tf.dispose([cls as tf.Scalar, box as tf.Scalar]);
    return stacked;
  });
  const [loss, classification, box] = await parts.data();
  parts.dispose();
  return { loss, classification, box };
}

/** Validation loss of a batch in inference mode. */
function evalBatch(net: RetinaNet, input: tf.Tensor4D, boxTargets: tf.Tensor3D, classTargets: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const p = retinaNetLoss(net.predict(input, false), boxTargets, classTargets);
    return tf.stack([p.total, p.classification, p.box]) as tf.Tensor1D;
  });
}

async function forBatches(
  dataset: CocoDataset,
  net: RetinaNet,
  options: {
    training: boolean;
    batchSize: number;
    seed: number;
    epoch: number;
    decoder?: JpegDecoder;
    signal?: AbortSignal;
    augment?: boolean;
    matching?: MatchThresholds;
  },
  run: (samples: DetectionSample[], input: tf.Tensor4D, boxTargets: tf.Tensor3D, classTargets: tf.Tensor2D) => Promise<void>,
): Promise<void> {
  const samples = cocoSamples(dataset, {
    transform: detectionTransform(net.inputSize, options.training && (options.augment ?? true)),
    shuffle: options.training,
    seed: options.seed,
    epoch: options.epoch,
    decoder: options.decoder,
  });
  for await (const batch of batchesOf(samples, options.batchSize)) {
    options.signal?.throwIfAborted();
    const input = imagesToInput(batch, net.inputSize);
    const targets = encodeBatch(batch, net.anchors, options.matching);
    try {
      await run(batch, input, targets.boxTargets, targets.classTargets);
    } finally {
      tf.dispose([input, targets.boxTargets, targets.classTargets]);
    }
  }
}

/** Mean validation loss of `net` over `dataset` (inference mode), in keras-io's units. */
export async function validationLoss(
  net: RetinaNet,
  dataset: CocoDataset,
  options: { batchSize?: number; decoder?: JpegDecoder; signal?: AbortSignal; allowLowQualityMatches?: boolean } = {},
): Promise<{ loss: number; classification: number; box: number }> {
  assertKnownOptions(options, VALIDATION_LOSS_OPTION_KEYS, 'validationLoss options');
  const pass: Pass = { loss: 0, classification: 0, box: 0, images: 0, steps: 0 };
  const matching = { allowLowQualityMatches: options.allowLowQualityMatches ?? true };
  await forBatches(dataset, net, { ...options, matching, training: false, batchSize: positiveInt(options.batchSize, 'batchSize', 1), seed: 0, epoch: 0 }, async (batch, x, bt, ct) => {
    const t = evalBatch(net, x, bt, ct);
    const [loss, cls, box] = await t.data();
    t.dispose();
    addTo(pass, batch.length, loss, cls, box);
  });
  return mean(pass);
}

function addTo(pass: Pass, images: number, loss: number, cls: number, box: number): void {
  pass.loss += loss * images;
  pass.classification += cls * images;
  pass.box += box * images;
  pass.images += images;
  pass.steps += 1;
}

function mean(pass: Pass): { loss: number; classification: number; box: number } {
  const n = Math.max(pass.images, 1);
  return { loss: pass.loss / n, classification: pass.classification / n, box: pass.box / n };
}

/** Options of {@link recalibrateBatchNormOnCoco}. */
export interface CocoRecalibrationOptions {
  /** At most this many images (default 1024). */
  maxImages?: number;
  /** Images per forward pass (default 2, keras-io's training batch). */
  batchSize?: number;
  /** Training transform with jitter and flip (default true), or the evaluation transform. */
  augment?: boolean;
  /** Shuffling and jitter seed (default 0) and epoch (default 0), as in training. */
  seed?: number;
  epoch?: number;
  decoder?: JpegDecoder;
}

/**
 * Precise BatchNorm over a COCO split (Wu & Johnson 2021, sec. 3): the images through the training transform,
 * preprocessed as for training, fed one batch at a time to @db/models' `recalibrateBatchNorm`, or, with `fn`, to
 * `withRecalibratedBatchNorm`, which runs `fn` with the population statistics and then restores the moving averages.
 */
export async function recalibrateBatchNormOnCoco<T = void>(
  net: RetinaNet,
  dataset: CocoDataset,
  options: CocoRecalibrationOptions = {},
  fn?: () => T | Promise<T>,
): Promise<T | { layers: number; images: number }> {
  const batchSize = positiveInt(options.batchSize, 'preciseBatchNorm.batchSize', 2);
  const maxImages = positiveInt(options.maxImages, 'preciseBatchNorm.maxImages', 1024);
  const samples = cocoSamples(dataset, {
    transform: detectionTransform(net.inputSize, options.augment ?? true),
    shuffle: true,
    seed: options.seed ?? 0,
    epoch: options.epoch ?? 0,
    decoder: options.decoder,
  });
  async function* inputs(): AsyncGenerator<tf.Tensor4D> {
    let seen = 0;
    for await (const batch of batchesOf(samples, batchSize)) {
      if (seen >= maxImages) return;
      const x = imagesToInput(batch.slice(0, maxImages - seen), net.inputSize);
      seen += x.shape[0];
      try {
        yield x;
      } finally {
        x.dispose();
      }
    }
  }
  return fn === undefined
    ? recalibrateBatchNorm(net.model, inputs(), { maxImages, batchSize })
    : withRecalibratedBatchNorm(net.model, inputs(), fn, { maxImages, batchSize });
}

/**
 * Trains a RetinaNet on COCO as keras-io's example does: SGD with momentum 0.9 and its piecewise learning rate,
 * batch size 2 by default, the RetinaNet transform (jittered resize, flip, pad) at `inputSize`, keras-io's loss
 * (focal + smooth L1 per positive anchor). A custom loop: every step in `tf.tidy`, nothing kept but the weights
 * and the optimizer slots. With a DropBlock regulariser, keepProb ramps linearly from 1 to its target over
 * `keepProbRampSteps` (DropBlockScheduler from @db/schedule). After each epoch the validation loss is measured
 * in inference mode.
 *
 * @example
 * ```ts
 * const { history } = await trainRetinaNet({
 *   dataDir: '/data/coco', inputSize: 256, epochs: 3, trainImages: 64, valImages: 32,
 *   regularizer: regularizer.dropBlock(7, 0.9),
 * });
 * ```
 */
export async function trainRetinaNet(options: RetinaNetTrainOptions & { predictVal?: boolean }): Promise<RetinaNetTrainResult> {
  assertKnownOptions(options, TRAIN_OPTION_KEYS, 'trainRetinaNet options');
  assertKnownOptions(options?.decode, DECODE_OPTION_KEYS, 'decode');
  if (options == null || typeof options.dataDir !== 'string' || options.dataDir === '') {
    throw new TypeError('options.dataDir must be the COCO root folder (with train2017/, val2017/ and annotations/)');
  }
  const epochs = positiveInt(options.epochs, 'epochs');
  const batchSize = positiveInt(options.batchSize, 'batchSize', 2);
  const seed = options.seed ?? 0;
  const verbose = options.verbose ?? true;
  const lr = options.learningRate ?? kerasIoLearningRate();
  const lrAt = typeof lr === 'function' ? lr : () => lr;
  if (typeof lr === 'number' && !(lr > 0)) throw new RangeError(`learningRate must be positive, got ${lr}`);
  const log = verbose ? (line: string) => process.stderr.write(`${line}\n`) : () => {};

  const train = await loadCoco({ root: options.dataDir, split: 'train2017', limit: options.trainImages, log: verbose ? undefined : false });
  const val = await loadCoco({ root: options.dataDir, split: 'val2017', limit: options.valImages, log: verbose ? undefined : false });
  if (train.images.length === 0) throw new RangeError('trainImages leaves no training image');
  if (JSON.stringify(train.categories) !== JSON.stringify(val.categories)) {
    throw new Error('train2017 and val2017 annotation files list different categories');
  }

  const net = buildRetinaNet({
    inputSize: options.inputSize ?? 640,
    numClasses: train.categories.length,
    regularizer: options.regularizer ?? reg.none(),
    regularizeFpn: options.regularizeFpn ?? false,
    seed,
    ...(options.stageBlocks ? { stageBlocks: options.stageBlocks } : {}),
    ...(typeof options.backboneWeights === 'string' ? { batchNormEpsilon: KERAS_RESNET50_NOTOP_WEIGHTS.batchNormEpsilon } : {}),
  });
  const matching: MatchThresholds = { allowLowQualityMatches: options.allowLowQualityMatches ?? true };
  const augment = options.augment ?? true;
  const precise =
    options.preciseBatchNorm === true ? { batchSize } : options.preciseBatchNorm ? { batchSize, ...options.preciseBatchNorm } : undefined;
  try {
    const backbone =
      options.backboneWeights === undefined
        ? 'random initialisation'
        : await loadBackboneWeights(net.backbone, options.backboneWeights, { cacheDir: options.cacheDir, progress: verbose ? undefined : false });
    log(`trainRetinaNet: backbone from ${backbone}; matching: ${matching.allowLowQualityMatches ? 'low-quality matches (every object a target)' : "keras-io's (IoU >= 0.5 only)"}`);
    const stepsPerEpoch = Math.ceil(train.images.length / batchSize);
    const totalSteps = epochs * stepsPerEpoch;
    const rampSteps = positiveInt(options.keepProbRampSteps, 'keepProbRampSteps', totalSteps);
    const scheduler = new DropBlockScheduler({ schedule: linearSchedule({ target: net.regularizer.kind === 'dropBlock' ? net.regularizer.keepProb : 1 }) });
    const scheduled = net.regularizer.kind === 'dropBlock' && scheduler.attach(net.model).length > 0;
    const kind = options.optimizer ?? 'momentum';
    if (kind !== 'momentum' && kind !== 'adam') throw new RangeError(`optimizer must be 'momentum' or 'adam', got ${String(kind)}`);
    const optimizer = kind === 'adam' ? tf.train.adam(lrAt(0), 0.9, 0.999, 1e-7) : tf.train.momentum(lrAt(0), 0.9);
    // tfjs' AdamOptimizer reads its (protected) learningRate at every update but has no setter; SGD's has one.
    const setRate = (rate: number) => {
      if (kind === 'momentum') (optimizer as tf.MomentumOptimizer).setLearningRate(rate);
      else (optimizer as unknown as { learningRate: number }).learningRate = rate;
    };
    const history: EpochLog[] = [];
    const stepTimes: number[] = [];
    let step = 0;
    try {
      for (let epoch = 0; epoch < epochs; epoch++) {
        const start = performance.now();
        const progress = new EpochProgress(epoch, epochs, stepsPerEpoch, verbose);
        const pass: Pass = { loss: 0, classification: 0, box: 0, images: 0, steps: 0 };
        await forBatches(train, net, { training: true, batchSize, seed, epoch, decoder: options.decoder, signal: options.signal, augment, matching }, async (batch, x, bt, ct) => {
          const rate = lrAt(step);
          if (!(rate > 0) || !Number.isFinite(rate)) throw new RangeError(`learningRate(${step}) returned ${rate}, not a positive number`);
          setRate(rate);
          if (scheduled) scheduler.update(trainingProgress(Math.min(step, rampSteps - 1), rampSteps));
          const t0 = performance.now();
          const r = await trainStep(net, optimizer, x, bt, ct);
          stepTimes.push((performance.now() - t0) / 1000);
          if (!Number.isFinite(r.loss)) throw new Error(`training diverged: loss ${r.loss} at step ${step}`);
          addTo(pass, batch.length, r.loss, r.classification, r.box);
          options.onBatchEnd?.(step, { loss: r.loss });
          progress.step(pass.steps, mean(pass).loss, stepTimes[stepTimes.length - 1]);
          step++;
        });
        const validate = () =>
          validationLoss(net, val, { batchSize, decoder: options.decoder, signal: options.signal, allowLowQualityMatches: matching.allowLowQualityMatches });
        const v = precise
          ? ((await recalibrateBatchNormOnCoco(net, train, { ...precise, augment, seed, epoch, decoder: options.decoder }, validate)) as Awaited<ReturnType<typeof validate>>)
          : await validate();
        const seconds = (performance.now() - start) / 1000;
        const m = mean(pass);
        const entry: EpochLog = { epoch, loss: m.loss, valLoss: v.loss, seconds };
        history.push(entry);
        progress.done(
          `loss ${m.loss.toFixed(4)} (cls ${m.classification.toFixed(4)} box ${m.box.toFixed(4)})  ` +
            `val_loss ${v.loss.toFixed(4)} (cls ${v.classification.toFixed(4)} box ${v.box.toFixed(4)})  ` +
            `${seconds.toFixed(0)} s` +
            (scheduled ? `  keepProb ${scheduler.currentKeepProb?.toFixed(3)}` : ''),
        );
        await options.onEpochEnd?.(epoch, { loss: entry.loss, valLoss: entry.valLoss, seconds }, net);
      }
    } finally {
      optimizer.dispose();
      // tfjs-core's MomentumOptimizer.dispose() does not call SGDOptimizer's, which frees the learning-rate scalar.
      if (kind === 'momentum') (optimizer as unknown as { c?: tf.Tensor }).c?.dispose();
    }
    if (precise) await recalibrateBatchNormOnCoco(net, train, { ...precise, augment, seed, epoch: epochs, decoder: options.decoder });
    const timed = stepTimes.length > 1 ? stepTimes.slice(1) : stepTimes;
    const secondsPerStep = timed.reduce((a, b) => a + b, 0) / Math.max(timed.length, 1);
    log(`trainRetinaNet: ${step} steps of ${batchSize} images at ${net.inputSize} px, ${secondsPerStep.toFixed(2)} s/step`);
    const result: RetinaNetTrainResult = {
      history,
      secondsPerStep,
      model: net,
      backbone,
      pretrained: options.backboneWeights !== undefined,
      allowLowQualityMatches: matching.allowLowQualityMatches ?? true,
    };
    if (options.predictVal) result.detections = await predictCoco(net, val, { batchSize, decoder: options.decoder, signal: options.signal, decode: options.decode });
    return result;
  } catch (err) {
    net.dispose();
    throw err;
  }
}
