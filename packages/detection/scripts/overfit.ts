/**
 * Does RetinaNet learn? Trains on a handful of COCO train2017 images and evaluates on the same images (the issue's
 * proof): builds a COCO root in a temporary folder whose train2017 and val2017 both hold the chosen images, calls
 * `trainRetinaNet`, and every `--eval-every` epochs runs the COCO evaluation of the model's own detections, with
 * BatchNorm in inference mode (moving statistics). Writes `<out>/run.json` (settings, loss per epoch, the 12 COCO
 * numbers at each evaluation) and `<out>/detections.json` (the last evaluation's detections).
 *
 *   DB_WASM_THREADS=1 tsx --conditions=@db/source packages/detection/scripts/overfit.ts \
 *     --data-dir ../shared/datasets/coco-2017-subset --ids 25,30,34,42 --size 256 --epochs 100 --lr 0.01 --out DIR
 *
 * Options: --batch N (2)  --eval-every N (10)  --seed N (0)  --stage-blocks 3,4,6,3  --no-augment
 *          --keras-matching (allowLowQualityMatches false)  --warmup N (steps of linear warm-up, 0)
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { useFastestBackend } from '@db/backend';
import { cocoSamples, loadCoco, type CocoDataset } from '@db/datasets';
import {
  batchesOf,
  decodeDetections,
  detectionTransform,
  evaluateCoco,
  imagesToInput,
  predictCoco,
  recalibrateBatchNormOnCoco,
  toCocoDetections,
  buildRetinaNet,
  trainRetinaNet,
  type CocoDetection,
  type CocoGroundTruth,
  type RetinaNet,
} from '../src/index.js';

/** Detections with BatchNorm on the batch's own statistics (training-mode forward; it also moves the moving statistics). */
async function detectWithBatchStatistics(net: RetinaNet, images: CocoDataset, batchSize: number): Promise<CocoDetection[]> {
  const out: CocoDetection[] = [];
  const rows = net.anchorCount * (4 + net.numClasses);
  for await (const batch of batchesOf(cocoSamples(images, { transform: detectionTransform(net.inputSize, false) }), batchSize)) {
    const x = imagesToInput(batch, net.inputSize);
    const y = net.predict(x, true);
    const data = (await y.data()) as Float32Array;
    tf.dispose([x, y]);
    batch.forEach((s, b) => {
      const found = decodeDetections(data.subarray(b * rows, (b + 1) * rows), net.anchors, net.numClasses);
      const frame = { imageId: s.imageId, scaleX: s.resizedWidth / s.originalWidth, scaleY: s.resizedHeight / s.originalHeight, width: s.originalWidth, height: s.originalHeight };
      out.push(...toCocoDetections(found, frame, (label) => images.labelMap.labelToCocoId(label)));
    });
  }
  return out;
}

function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : fallback;
  if (v === undefined) throw new RangeError(`--${name} is required`);
  return v;
}
const flag = (name: string) => process.argv.includes(`--${name}`);

/** A COCO root whose train2017 and val2017 are the given train2017 images (JPEGs linked, JSON filtered). */
export function overfitRoot(dataDir: string, ids: number[]): { root: string; groundTruth: CocoGroundTruth } {
  const source = JSON.parse(readFileSync(path.join(dataDir, 'annotations', 'instances_train2017.json'), 'utf8')) as {
    images: Array<{ id: number; file_name: string }>;
    annotations: Array<{ image_id: number }>;
    categories: unknown[];
  };
  const images = ids.map((id) => {
    const image = source.images.find((im) => im.id === id);
    if (!image) throw new RangeError(`train2017 has no image ${id}`);
    return image;
  });
  const json = { ...source, images, annotations: source.annotations.filter((a) => ids.includes(a.image_id)) };
  const root = mkdtempSync(path.join(os.tmpdir(), 'retinanet-overfit-'));
  mkdirSync(path.join(root, 'annotations'));
  for (const split of ['train2017', 'val2017']) {
    mkdirSync(path.join(root, split));
    for (const im of images) symlinkSync(path.resolve(dataDir, 'train2017', im.file_name), path.join(root, split, im.file_name));
    writeFileSync(path.join(root, 'annotations', `instances_${split}.json`), JSON.stringify(json));
  }
  return { root, groundTruth: json as unknown as CocoGroundTruth };
}

/** Writes the model's weights (in `model.weights` order) as `<file>.bin` + `<file>.json`, for a later evaluation. */
async function saveWeights(net: RetinaNet, file: string): Promise<void> {
  const weights = net.model.weights.map((w, i) => ({ name: `${i}:${w.originalName}`, tensor: w.read() }));
  const { data, specs } = await tf.io.encodeWeights(weights);
  writeFileSync(`${file}.bin`, Buffer.from(data));
  writeFileSync(`${file}.json`, JSON.stringify(specs));
}

const dataDir = arg('data-dir');
const ids = arg('ids', '25,30,34,42').split(',').map(Number);
const out = arg('out');
mkdirSync(out, { recursive: true });
const lr = Number(arg('lr', '0.01'));
const warmup = Number(arg('warmup', '0'));
const evalEvery = Number(arg('eval-every', '10'));
const settings = {
  ids,
  inputSize: Number(arg('size', '256')),
  epochs: Number(arg('epochs', '100')),
  batchSize: Number(arg('batch', '2')),
  learningRate: lr,
  warmupSteps: warmup,
  seed: Number(arg('seed', '0')),
  stageBlocks: arg('stage-blocks', '3,4,6,3').split(',').map(Number) as [number, number, number, number],
  augment: !flag('no-augment'),
  allowLowQualityMatches: !flag('keras-matching'),
  optimizer: arg('optimizer', 'momentum') as 'momentum' | 'adam',
  backend: '',
};
await useFastestBackend();
settings.backend = tf.getBackend();
console.log(`overfit: ${JSON.stringify(settings)}`);
const { root, groundTruth } = overfitRoot(dataDir, ids);
const val = await loadCoco({ root, split: 'val2017', log: false });
const evaluations: Array<{ epoch: number; mode: string; stats: number[]; detections: number }> = [];
const history: Array<{ epoch: number; loss: number; valLoss: number; seconds: number }> = [];
let last: CocoDetection[] = [];

/** COCO evaluation of the model's detections on its training images, BatchNorm three ways. */
async function evaluate(net: RetinaNet, epoch: number): Promise<Array<{ epoch: number; mode: string; stats: number[]; detections: number }>> {
  const modes: Array<[string, () => Promise<CocoDetection[]>]> = [
    ['moving', () => predictCoco(net, val, { batchSize: settings.batchSize })],
    [
      'precise',
      async () =>
        (await recalibrateBatchNormOnCoco(net, val, { augment: settings.augment, batchSize: settings.batchSize }, () =>
          predictCoco(net, val, { batchSize: settings.batchSize }),
        )) as CocoDetection[],
    ],
    // Last: the training-mode forward moves the moving statistics.
    ['batch', () => detectWithBatchStatistics(net, val, settings.batchSize)],
  ];
  const results = [];
  for (const [mode, detect] of modes) {
    const dets = await detect();
    if (mode === 'precise') last = dets;
    const stats = dets.length > 0 ? evaluateCoco(groundTruth, dets).stats : new Array<number>(12).fill(0);
    results.push({ epoch, mode, stats, detections: dets.length });
    writeFileSync(path.join(out, `detections-${mode}.json`), JSON.stringify(dets));
  }
  return results;
}

const weightsFile = process.argv.includes('--evaluate') ? arg('evaluate') : undefined;
if (weightsFile !== undefined) {
  // Evaluate saved weights only.
  const net = buildRetinaNet({ inputSize: settings.inputSize, numClasses: val.categories.length, stageBlocks: settings.stageBlocks, seed: settings.seed });
  const specs = JSON.parse(readFileSync(`${weightsFile}.json`, 'utf8')) as tf.io.WeightsManifestEntry[];
  const bytes = readFileSync(`${weightsFile}.bin`);
  const named = tf.io.decodeWeights(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), specs);
  net.model.setWeights(specs.map((s) => named[s.name]));
  for (const e of await evaluate(net, -1)) console.log(`${e.mode}: ${e.detections} dets ${e.stats.map((v) => v.toFixed(3)).join(' ')}`);
  rmSync(root, { recursive: true, force: true });
  process.exit(0);
}
const t0 = performance.now();
try {
  const result = await trainRetinaNet({
    dataDir: root,
    inputSize: settings.inputSize,
    epochs: settings.epochs,
    batchSize: settings.batchSize,
    seed: settings.seed,
    stageBlocks: settings.stageBlocks,
    augment: settings.augment,
    allowLowQualityMatches: settings.allowLowQualityMatches,
    optimizer: settings.optimizer,
    learningRate: (step) => (step < warmup ? (lr * (step + 1)) / warmup : lr),
    verbose: false,
    onEpochEnd: async (epoch, logs, net) => {
      history.push({ epoch, ...logs });
      let line = `epoch ${epoch + 1}: loss ${logs.loss.toFixed(4)} val_loss ${logs.valLoss.toFixed(4)} ${logs.seconds.toFixed(1)} s`;
      if ((epoch + 1) % evalEvery === 0 || epoch + 1 === settings.epochs) {
        for (const e of await evaluate(net, epoch)) {
          evaluations.push(e);
          line += `  | ${e.mode}: ${e.detections} dets AP ${e.stats[0].toFixed(3)} AP50 ${e.stats[1].toFixed(3)}`;
        }
        await saveWeights(net, path.join(out, 'weights'));
      }
      console.log(line);
      writeFileSync(path.join(out, 'run.json'), JSON.stringify({ settings, history, evaluations, seconds: (performance.now() - t0) / 1000 }, null, 1));
      writeFileSync(path.join(out, 'detections.json'), JSON.stringify(last));
    },
  });
  result.model.dispose();
} finally {
  rmSync(root, { recursive: true, force: true });
}
console.log(`done in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
