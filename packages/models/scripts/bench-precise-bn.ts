/**
 * Times precise BatchNorm (`recalibrateBatchNorm`) against one plain inference pass over the same images, on the
 * backend `useFastestBackend` picks, and prints how far the moving statistics moved.
 *
 *   pnpm exec tsx --conditions=@db/source packages/models/scripts/bench-precise-bn.ts \
 *     [--network resnet50|customnet|densenet] [--images 1024] [--batch 32] [--repeats 2] [--data-dir DIR]
 *
 * With --data-dir (or DB_DATA_DIR) holding CIFAR-10 the images are its first training images (scaled to 0..1),
 * else seeded uniform noise of the same shape.
 */
import * as tf from '@tensorflow/tfjs';
import { useFastestBackend } from '@db/backend';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { customNet, densenet, findBatchNormLayers, recalibrateBatchNorm, resnet50 } from '../src/index.js';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const network = flag('network', 'resnet50');
const count = Number(flag('images', '1024'));
const batchSize = Number(flag('batch', '32'));
const dataDir = flag('data-dir', process.env.DB_DATA_DIR ?? '');
const repeats = Number(flag('repeats', '2'));

const backend = await useFastestBackend();
let images: tf.Tensor4D;
let source = 'uniform noise';
if (dataDir) {
  // CIFAR-10's binary batch: records of 1 label byte + 1024 R + 1024 G + 1024 B (planar) bytes.
  const file = readFileSync(path.join(dataDir, 'cifar-10-batches-bin', 'data_batch_1.bin'));
  const n = Math.min(count, file.length / 3073);
  const pixels = new Float32Array(n * 3072);
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < 1024; p++) for (let c = 0; c < 3; c++) pixels[i * 3072 + p * 3 + c] = file[i * 3073 + 1 + c * 1024 + p] / 255;
  }
  images = tf.tensor4d(pixels, [n, 32, 32, 3]);
  source = `CIFAR-10 data_batch_1 images from ${dataDir}`;
} else {
  images = tf.randomUniform([count, 32, 32, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
}
const options = { inputShape: [32, 32, 3] as [number, number, number], numClasses: 10, seed: 1 };
const model = network === 'customnet' ? customNet(options) : network === 'densenet' ? densenet(options) : resnet50(options);
const layers = findBatchNormLayers(model);
console.log(`${network}: ${layers.length} BatchNormalization layers; ${images.shape[0]} images (${source}); batch ${batchSize}; backend ${JSON.stringify(backend)}`);

// Warm-up (kernel compilation, weight upload) on one batch.
tf.tidy(() => model.predict(images.slice(0, batchSize), { batchSize }));

// Alternate the two, so that load from other processes falls on both alike; report each run and the ratio.
const before = tf.tidy(() => layers.map((l) => l.getWeights()[l.getWeights().length - 1].mean().dataSync()[0]));
const tensors = tf.memory().numTensors;
let report;
for (let r = 0; r < repeats; r++) {
  let t = performance.now();
  for (let s = 0; s < images.shape[0]; s += batchSize) {
    tf.tidy(() => (model.predict(images.slice(s, Math.min(batchSize, images.shape[0] - s))) as tf.Tensor).dataSync());
  }
  const inferenceMs = performance.now() - t;
  t = performance.now();
  report = await recalibrateBatchNorm(model, images, { batchSize });
  const recalibrateMs = performance.now() - t;
  console.log(
    `run ${r + 1}: inference pass ${(inferenceMs / 1000).toFixed(2)} s; recalibrateBatchNorm ${(recalibrateMs / 1000).toFixed(2)} s ` +
      `(${(recalibrateMs / inferenceMs).toFixed(2)}x); report ${JSON.stringify(report)}; tensors ${tensors} -> ${tf.memory().numTensors}`,
  );
}
const after = tf.tidy(() => layers.map((l) => l.getWeights()[l.getWeights().length - 1].mean().dataSync()[0]));
console.log(`mean moving variance per layer, before (init 1) -> after: first ${before[0].toFixed(3)} -> ${after[0].toFixed(3)}, last ${before.at(-1)!.toFixed(3)} -> ${after.at(-1)!.toFixed(3)}`);
