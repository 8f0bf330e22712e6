// RetinaNet learns: trained on 2 real COCO train2017 images, it detects their objects (the CI-sized version of
// packages/detection/results/overfit-256px). Needs the COCO-2017 subset: DB_DATA_DIR, else ../shared/datasets beside
// the checkout; skipped with a printed reason otherwise.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels } from '@db/backend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateCoco } from '../eval/coco-eval.js';
import type { CocoGroundTruth } from '../eval/types.js';
import { trainRetinaNet } from './train.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const dataDir = process.env.DB_DATA_DIR ? path.resolve(process.env.DB_DATA_DIR) : path.resolve(repoRoot, '../shared/datasets');
const coco = path.join(dataDir, 'coco-2017-subset');
const hasCoco = existsSync(path.join(coco, 'annotations', 'instances_train2017.json'));
if (!hasCoco) console.log(`skipping the RetinaNet learning test: no coco-2017-subset/ in ${dataDir} (set DB_DATA_DIR)`);

// train2017 34 (one zebra, 441 x 379 px of 640 x 425) and 42 (one dog, 348 x 244 of 640 x 478).
const IDS = [34, 42];
const root = mkdtempSync(path.join(tmpdir(), 'retinanet-learns-'));
let groundTruth: CocoGroundTruth;

beforeAll(async () => {
  registerWasmTrainingKernels();
  await tf.setBackend('wasm');
  await tf.ready();
  if (!hasCoco) return;
  // A COCO root whose train2017 and val2017 are both these images: the detector is scored on what it fitted.
  const source = JSON.parse(readFileSync(path.join(coco, 'annotations', 'instances_train2017.json'), 'utf8')) as CocoGroundTruth;
  const images = source.images.filter((im) => IDS.includes(im.id)) as Array<CocoGroundTruth['images'][number] & { file_name: string }>;
  groundTruth = { ...source, images, annotations: source.annotations.filter((a) => IDS.includes(a.image_id)) };
  mkdirSync(path.join(root, 'annotations'));
  for (const split of ['train2017', 'val2017']) {
    mkdirSync(path.join(root, split));
    for (const im of images) symlinkSync(path.join(coco, 'train2017', im.file_name), path.join(root, split, im.file_name));
    writeFileSync(path.join(root, 'annotations', `instances_${split}.json`), JSON.stringify(groundTruth));
  }
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe.skipIf(!hasCoco)('RetinaNet learns (2 real images, 128 px, batch 2)', () => {
  it('fits them: AP50 >= 0.5 on its own detections, with precise BatchNorm statistics', async () => {
    // The recipe of the overfit run at CI size: a shallow backbone ([1, 1, 1, 1] blocks), 80 classes, from scratch,
    // Adam 1e-4, no augmentation, low-quality matches, precise BN for evaluation. 20 steps; the training loss goes
    // ~3.8 -> well under 1.
    const tensors = tf.memory().numTensors;
    const result = await trainRetinaNet({
      dataDir: root,
      inputSize: 128,
      stageBlocks: [1, 1, 1, 1],
      epochs: 20,
      batchSize: 2,
      optimizer: 'adam',
      learningRate: 1e-4,
      augment: false,
      preciseBatchNorm: true,
      predictVal: true,
      verbose: false,
    });
    const losses = result.history.map((h) => h.loss);
    const { stats } = evaluateCoco(groundTruth, result.detections ?? []);
    result.model.dispose();
    console.log(`RetinaNet learns: AP ${stats[0].toFixed(3)}, AP50 ${stats[1].toFixed(3)}; loss ${losses[0].toFixed(3)} -> ${losses[losses.length - 1].toFixed(3)}`);
    expect(losses[losses.length - 1], `losses ${losses.map((l) => l.toFixed(3)).join(', ')}`).toBeLessThan(losses[0] / 3);
    expect(stats[1], `AP50 ${stats[1]}, AP ${stats[0]}; losses ${losses.map((l) => l.toFixed(3)).join(', ')}`).toBeGreaterThanOrEqual(0.5);
    expect(tf.memory().numTensors).toBe(tensors);
  }, 900_000);
});
