/**
 * The issue's public-API check that RetinaNet learns: a COCO root whose train2017 and val2017 both hold 4 real
 * train2017 images with 1-3 boxes each (ids 25, 30, 34, 42: 6 boxes), `trainRetinaNet` on it at 128 px with
 * batch 2, then `evaluateCoco` of the model's own detections on those images. Only @db/detection's and
 * @db/datasets' public API is used. Prints the settings, the loss per epoch, the wall time and COCO's 12 numbers;
 * exits 1 unless AP50 >= 0.5.
 *
 *   DB_WASM_THREADS=2 pnpm exec tsx --conditions=@db/source packages/detection/scripts/learns-public-api.ts \
 *     --data-dir ../shared/datasets/coco-2017-subset [--size 128] [--epochs 20] [--ids 25,30,34,42] [--draw DIR]
 *
 * The recipe (see the detection README, "Does it learn?"): from scratch, Adam at 1e-4 (keras-io's SGD schedule
 * spends its first 125 steps at 2.5e-6), no augmentation (the images to fit are the images scored), low-quality
 * matches, and precise BatchNorm statistics for evaluation (batch-2 training leaves the moving averages near their
 * initial values).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { useFastestBackend } from '@db/backend';
import { loadCoco } from '@db/datasets';
import { drawCocoDetections, evaluateCoco, trainRetinaNet, type CocoGroundTruth } from '@db/detection';

const { values } = parseArgs({
  options: {
    'data-dir': { type: 'string' },
    ids: { type: 'string', default: '25,30,34,42' },
    size: { type: 'string', default: '128' },
    epochs: { type: 'string', default: '20' },
    lr: { type: 'string', default: '1e-4' },
    seed: { type: 'string', default: '0' },
    draw: { type: 'string' },
  },
});
if (!values['data-dir']) throw new RangeError('--data-dir DIR (a COCO root with train2017/ and annotations/) is required');
const dataDir = path.resolve(values['data-dir']);
const ids = values.ids.split(',').map(Number);

// A COCO root of the chosen train2017 images as both splits: the JPEGs linked, the annotation file filtered.
const source = JSON.parse(readFileSync(path.join(dataDir, 'annotations', 'instances_train2017.json'), 'utf8')) as CocoGroundTruth;
const images = ids.map((id) => {
  const image = source.images.find((im) => im.id === id) as (CocoGroundTruth['images'][number] & { file_name: string }) | undefined;
  if (!image) throw new RangeError(`train2017 has no image ${id}`);
  return image;
});
const annotations = source.annotations.filter((a) => ids.includes(a.image_id));
for (const id of ids) {
  const n = annotations.filter((a) => a.image_id === id).length;
  if (n < 1 || n > 3) console.warn(`image ${id} has ${n} boxes (the check asks for 1-3)`);
}
const groundTruth = { ...source, images, annotations } as CocoGroundTruth;
const root = mkdtempSync(path.join(os.tmpdir(), 'retinanet-learns-'));
mkdirSync(path.join(root, 'annotations'));
for (const split of ['train2017', 'val2017']) {
  mkdirSync(path.join(root, split));
  for (const im of images) symlinkSync(path.join(dataDir, 'train2017', im.file_name), path.join(root, split, im.file_name));
  writeFileSync(path.join(root, 'annotations', `instances_${split}.json`), JSON.stringify(groundTruth));
}

await useFastestBackend();
const settings = {
  ids,
  boxes: annotations.length,
  inputSize: Number(values.size),
  epochs: Number(values.epochs),
  batchSize: 2,
  optimizer: 'adam' as const,
  learningRate: Number(values.lr),
  augment: false,
  allowLowQualityMatches: true,
  preciseBatchNorm: true,
  seed: Number(values.seed),
  backend: tf.getBackend(),
};
console.log(`settings: ${JSON.stringify(settings)}`);
const start = performance.now();
try {
  const result = await trainRetinaNet({
    dataDir: root,
    inputSize: settings.inputSize,
    epochs: settings.epochs,
    batchSize: settings.batchSize,
    optimizer: settings.optimizer,
    learningRate: settings.learningRate,
    augment: settings.augment,
    allowLowQualityMatches: settings.allowLowQualityMatches,
    preciseBatchNorm: settings.preciseBatchNorm,
    seed: settings.seed,
    predictVal: true,
    verbose: false,
    onEpochEnd: (epoch, logs) => console.log(`epoch ${epoch + 1}: loss ${logs.loss.toFixed(4)}  val_loss ${logs.valLoss.toFixed(4)}  ${logs.seconds.toFixed(1)} s`),
  });
  const seconds = (performance.now() - start) / 1000;
  const detections = result.detections ?? [];
  const { stats, lines } = evaluateCoco(groundTruth, detections);
  console.log(`trained and evaluated in ${seconds.toFixed(0)} s (${(seconds / 60).toFixed(1)} min); ${detections.length} detections`);
  console.log(lines.join('\n'));
  if (values.draw) {
    const val = await loadCoco({ root, split: 'val2017', log: false });
    console.log(`drawn: ${(await drawCocoDetections(val, detections, values.draw)).join(', ')}`);
  }
  result.model.dispose();
  console.log(stats[1] >= 0.5 ? `AP50 ${stats[1].toFixed(3)} >= 0.5: it learns` : `AP50 ${stats[1].toFixed(3)} < 0.5: FAILED`);
  if (!(stats[1] >= 0.5)) process.exitCode = 1;
} finally {
  rmSync(root, { recursive: true, force: true });
}
