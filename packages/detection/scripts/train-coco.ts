/**
 * The "done" run: trains RetinaNet on a COCO root (train2017 -> val2017) on the fastest backend, one
 * regulariser form per process, and writes `<out>/<key>.json` (history, seconds per step, settings) and
 * `<out>/<key>-detections.json` (COCO results format on the validation images) for the COCO evaluator.
 *
 *   tsx --conditions=@db/source packages/detection/scripts/train-coco.ts --data-dir DIR --variant none \
 *     --size 128 --epochs 3 --train 24 --val 12 --batch 2 --lr-scale 0.05 --out runs/ [--score-threshold 0.05]
 *
 * It also prints COCO's 12 summary numbers (evaluateCoco) of the validation detections; `cocoStats[0]` is mAP.
 *
 * --variant is a key of reportDetectionVariants(): none, dropout, spatialDropout, dropBlock7-0.7, dropBlock7-0.9,
 * dropBlock3-0.7, dropBlock3-0.9. --lr-scale shrinks keras-io's learning-rate boundaries (kerasIoLearningRate).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { useFastestBackend } from '@db/backend';
import { loadCoco } from '@db/datasets';
import { evaluateCoco, kerasIoLearningRate, reportDetectionVariants, trainRetinaNet, type CocoGroundTruth } from '../src/index.js';

function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : fallback;
  if (v === undefined) throw new RangeError(`--${name} is required`);
  return v;
}
const num = (name: string, fallback: string) => {
  const v = Number(arg(name, fallback));
  if (!Number.isFinite(v) || v <= 0) throw new RangeError(`--${name} must be a positive number, got ${arg(name, fallback)}`);
  return v;
};

const variants = reportDetectionVariants();
const key = arg('variant', 'none');
const variant = variants.find((v) => v.key === key);
if (!variant) throw new RangeError(`--variant must be one of ${variants.map((v) => v.key).join(', ')}, got ${key}`);
const out = arg('out', 'runs');
mkdirSync(out, { recursive: true });
await useFastestBackend();
const settings = {
  variant: variant.label,
  backend: tf.getBackend(),
  inputSize: num('size', '128'),
  epochs: num('epochs', '3'),
  trainImages: num('train', '24'),
  valImages: num('val', '12'),
  batchSize: num('batch', '2'),
  lrScale: num('lr-scale', '1'),
  seed: 0,
  scoreThreshold: Number(arg('score-threshold', '0.05')),
};
console.log(`train-coco: ${JSON.stringify(settings)}`);
const result = await trainRetinaNet({
  dataDir: arg('data-dir'),
  inputSize: settings.inputSize,
  epochs: settings.epochs,
  trainImages: settings.trainImages,
  valImages: settings.valImages,
  batchSize: settings.batchSize,
  regularizer: variant.regularizer,
  learningRate: kerasIoLearningRate(settings.lrScale),
  seed: settings.seed,
  predictVal: true,
  decode: { scoreThreshold: settings.scoreThreshold },
  onBatchEnd: (step, logs) => console.log(`step ${step} loss ${logs.loss.toFixed(4)} ${new Date().toISOString()}`),
  onEpochEnd: (epoch, logs) =>
    console.log(`epoch ${epoch + 1}: loss ${logs.loss.toFixed(4)} val_loss ${logs.valLoss.toFixed(4)} ${logs.seconds.toFixed(0)} s`),
});
// COCO mAP over the validation images used (the first --val of val2017, in JSON order, as trainRetinaNet takes them).
const val = await loadCoco({ root: arg('data-dir'), split: 'val2017', limit: settings.valImages, log: false });
const groundTruth = JSON.parse(readFileSync(val.annotationFile, 'utf8')) as CocoGroundTruth;
const coco = evaluateCoco(groundTruth, result.detections ?? [], { imgIds: val.images.map((image) => image.id) });
const summary = {
  settings,
  history: result.history,
  secondsPerStep: result.secondsPerStep,
  detections: result.detections?.length,
  cocoStats: coco.stats,
};
writeFileSync(path.join(out, `${key}.json`), JSON.stringify(summary, null, 2));
writeFileSync(path.join(out, `${key}-detections.json`), JSON.stringify(result.detections ?? []));
console.log(`train-coco: done ${JSON.stringify(summary)}`);
result.model.dispose();
