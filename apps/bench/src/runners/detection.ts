/**
 * Runner of table 7: trains `@db/detection`'s RetinaNet (ResNet-50 FPN, the row's regulariser in the backbone and,
 * as the report says, the FPN) on the COCO-2017 subset's train2017 images, reports loss and val_loss per epoch in
 * keras-io's units (focal + smooth L1, as the report's table), and scores the detections on the validation images
 * with `evaluateCoco` (pycocotools' COCOeval, exactly): the COCO mAP the report never measured.
 */
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { DatasetNotFoundError, cocoSamples, downloadCocoSubset, loadCoco, type CocoDataset } from '@db/datasets';
import { batchesOf, detectionTransform, evaluateCoco, imagesToInput, trainRetinaNet, validationLoss, type CocoGroundTruth, type RetinaNet } from '@db/detection';
import { withRecalibratedBatchNorm } from '@db/models';
import type { DetectionRunConfig } from '../experiments/config.js';
import type { CalibrateContext, CalibrationSample, EpochRecord, RunContext, RunOutcome, Runner } from './types.js';

const HOW_TO_GET =
  'with internet the subset the run needs downloads by itself into the cache (the annotation archive and only the images used); offline, point the bench at a folder that holds it, pnpm bench --data-dir DIR (or DB_DATA_DIR=DIR), where DIR, DIR/coco or DIR/coco-2017-subset holds annotations/instances_{train2017,val2017}.json, train2017/ and val2017/';

/**
 * The COCO root the runs read: the folder under `dataDir` with annotations/, train2017/ and val2017/ when there is
 * one, else the cache, where `downloadCocoSubset` (@db/datasets) fetches the first `need` images of each split (only
 * those, resumable, each verified by decoding it) when downloads are allowed; offline it throws the loader's
 * DatasetNotFoundError, which names every place it looked.
 */
async function cocoRoot(dataDir: string | undefined, need: { train2017: number; val2017: number }): Promise<string> {
  try {
    const val = await loadCoco({ dataDir, split: 'val2017', limit: 1, log: false });
    return path.dirname(path.dirname(val.annotationFile));
  } catch (error) {
    if (!(error instanceof DatasetNotFoundError)) throw error;
    try {
      return (await downloadCocoSubset({ images: need })).root;
    } catch (downloadError) {
      // Where the loader looked, then why the download did not help (offline, unreachable host, size cap).
      const why = (downloadError as Error).message.split('\n')[0];
      throw new DatasetNotFoundError('The COCO-2017 subset', [...error.tried, `download into the cache: ${why}`], { cause: downloadError });
    }
  }
}

/** The run's training settings as `trainRetinaNet` takes them. */
function trainOptions(config: DetectionRunConfig, root: string, overrides: { epochs?: number; trainImages?: number; valImages?: number } = {}) {
  const { settings } = config;
  const epochs = overrides.epochs ?? settings.epochs;
  const trainImages = overrides.trainImages ?? settings.trainImages;
  return {
    dataDir: root,
    inputSize: settings.inputSize,
    regularizer: config.regularizer,
    regularizeFpn: settings.regularizeFpn,
    epochs,
    batchSize: settings.batchSize,
    trainImages,
    valImages: overrides.valImages ?? settings.valImages,
    seed: config.seed,
    learningRate: settings.learningRate,
    // 'none' trains from scratch; 'imagenet' or a path loads Keras' ResNet-50 weights into the backbone by layer name.
    backboneWeights: settings.backboneWeights === 'none' || settings.backboneWeights === undefined ? undefined : settings.backboneWeights,
    // The paper's linear keepProb ramp from 1 to the row's target over the whole run.
    keepProbRampSteps: epochs * Math.ceil(trainImages / settings.batchSize),
    verbose: false,
  };
}

/**
 * RetinaNet's inputs for precise BN: the first `count` training images through the inference transform (resize and
 * pad, no jitter or flip), as the training loop builds its input (Wu & Johnson 2021, sec. 3).
 */
async function* bnInputs(net: RetinaNet, train: CocoDataset, count: number, batchSize: number): AsyncGenerator<tf.Tensor4D> {
  const subset: CocoDataset = { ...train, images: train.images.slice(0, count) };
  let previous: tf.Tensor | undefined;
  try {
    for await (const batch of batchesOf(cocoSamples(subset, { transform: detectionTransform(net.inputSize, false), shuffle: false }), batchSize)) {
      const x = imagesToInput(batch, net.inputSize);
      previous?.dispose();
      previous = x;
      yield x;
    }
  } finally {
    previous?.dispose();
  }
}

/** The detection runner (table 7). */
export const detectionRunner: Runner<DetectionRunConfig> = {
  kind: 'detection',

  async checkData(configs, dataDir) {
    if (configs.length === 0) return [];
    const need = {
      train2017: Math.max(...configs.map((c) => c.settings.trainImages)),
      val2017: Math.max(...configs.map((c) => c.settings.valImages)),
    };
    const missing: string[] = [];
    try {
      await cocoRoot(dataDir, need);
    } catch (error) {
      const why =
        error instanceof DatasetNotFoundError
          ? `not found; tried: ${error.tried.map((t) => t.replace('(root or dataDir option, or DB_DATA_DIR)', '(--data-dir DIR or DB_DATA_DIR)')).join('; ')}`
          : (error as Error).message.split('\n').join(' ');
      missing.push(why);
    }
    return missing.length === 0 ? [] : [`COCO-2017 subset (table 7): ${missing.join('; ')}. ${HOW_TO_GET}.`];
  },

  calibrationKey(config) {
    const { inputSize, batchSize, regularizeFpn } = config.settings;
    return `retinanet:${inputSize}:b${batchSize}:fpn${regularizeFpn}`;
  },

  async calibrate(config, context: CalibrateContext): Promise<CalibrationSample> {
    const t0 = performance.now();
    const { batchSize } = config.settings;
    const trainImages = batchSize * (context.steps + 1);
    const valImages = 2;
    const root = await cocoRoot(context.dataDir, { train2017: trainImages, val2017: valImages });
    const result = await trainRetinaNet({ ...trainOptions(config, root, { epochs: 1, trainImages, valImages }), predictVal: true });
    const total = (performance.now() - t0) / 1000;
    const epochSeconds = result.history[0].seconds;
    // The validation pass timed on its own: the epoch's time less the mean step times can come out at or below zero
    // (the warm-up step is left out of the mean, and a loaded machine makes steps uneven).
    const val = await loadCoco({ root, split: 'val2017', limit: valImages, log: false });
    const tEval = performance.now();
    await validationLoss(result.model, val, { batchSize });
    const evalSeconds = (performance.now() - tEval) / 1000;
    result.model.dispose();
    return {
      secondsPerTrainImage: result.secondsPerStep / batchSize,
      secondsPerEvalImage: evalSeconds / val.images.length,
      setupSeconds: Math.max(0, total - epochSeconds),
      note: `RetinaNet R50-FPN ${config.settings.inputSize}x${config.settings.inputSize}, batch ${batchSize}: ${context.steps + 1} steps, ${valImages} validation images`,
    };
  },

  async run(config, context: RunContext): Promise<RunOutcome> {
    const root = await cocoRoot(context.dataDir, { train2017: config.settings.trainImages, val2017: config.settings.valImages });
    // The subset may hold fewer images than asked (288 train2017 images against the report's ~500): count them, so
    // that the steps per epoch and the keepProb ramp are those of the images really used.
    const train = await loadCoco({ root, split: 'train2017', limit: config.settings.trainImages, log: false });
    const options = trainOptions(config, root, { trainImages: train.images.length });
    const steps = Math.ceil(options.trainImages / options.batchSize);
    const history: EpochRecord[] = [];
    let epochStep = 0;
    const result = await trainRetinaNet({
      ...options,
      predictVal: true,
      signal: context.signal,
      onBatchEnd: (step, logs) => {
        if (!Number.isFinite(logs.loss)) throw new Error(`training loss became ${logs.loss} at step ${step + 1}`);
        epochStep = (step % steps) + 1;
        context.progress({ epoch: history.length + 1, epochs: options.epochs, step: epochStep, steps, loss: logs.loss });
      },
      onEpochEnd: (epoch, logs) => {
        // trainRetinaNet counts epochs from 0; the bench's records count from 1.
        const record: EpochRecord = { epoch: epoch + 1, loss: logs.loss, valLoss: logs.valLoss, seconds: logs.seconds };
        history.push(record);
        context.progress({ epoch: epoch + 1, epochs: options.epochs, step: steps, steps, loss: logs.loss, epochDone: record });
      },
    });
    // The validation images trainRetinaNet used: the first valImages of val2017 in JSON order (loadCoco's limit).
    const val = await loadCoco({ root, split: 'val2017', limit: options.valImages, log: false });
    // trainRetinaNet measures val_loss per epoch with the moving statistics (its loop is @db/detection's); precise BN
    // is applied here to the final model, so the last epoch's val_loss is the precise one and every epoch keeps the
    // moving figure in valLossMovingBn.
    for (const h of history) h.valLossMovingBn = h.valLoss;
    let bnImages = 0;
    try {
      if (config.settings.bnStatistics === 'precise') {
        bnImages = Math.min(config.settings.bnImages, train.images.length);
        const precise = await withRecalibratedBatchNorm(
          result.model.model,
          bnInputs(result.model, train, bnImages, options.batchSize),
          () => validationLoss(result.model, val, { batchSize: options.batchSize, signal: context.signal }),
          { maxImages: bnImages, batchSize: options.batchSize },
        );
        history[history.length - 1].valLoss = precise.loss;
      }
    } finally {
      result.model.dispose();
    }
    const groundTruth = JSON.parse(await readFile(val.annotationFile, 'utf8')) as CocoGroundTruth;
    const imgIds = val.images.map((image) => image.id);
    const coco = evaluateCoco(groundTruth, result.detections ?? [], { imgIds });
    const last = history[history.length - 1];
    return {
      history,
      metrics: {
        loss: last.loss,
        valLoss: last.valLoss as number,
        bestLoss: Math.min(...history.map((h) => h.loss)),
        bestValLoss: Math.min(...history.map((h) => h.valLoss as number)),
        valLossMovingBn: last.valLossMovingBn as number,
        bnImages,
        mAP: coco.stats[0],
        secondsPerStep: result.secondsPerStep,
        trainImages: options.trainImages,
        valImages: imgIds.length,
      },
      series: { cocoStats: [...coco.stats] },
    };
  },
};
