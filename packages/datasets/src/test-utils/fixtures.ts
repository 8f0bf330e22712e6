// Writers of small files in each real format, for tests. Not part of the package (excluded from the build).
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import { encodeCifarBatch } from '../formats/cifar-binary.js';
import { encodeIdx } from '../formats/idx.js';

/** A fresh temporary folder; `cleanup` removes it. */
export function tempDir(prefix = 'db-datasets-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Deterministic pseudo-random bytes (a linear congruential generator), so fixtures are reproducible. */
export function patternBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

/** A small MNIST-format split: `count` 28x28 images with labels `i % 10`. */
export function mnistSplit(count: number, seed: number): { images: Uint8Array; labels: Uint8Array } {
  return { images: patternBytes(count * 28 * 28, seed), labels: Uint8Array.from({ length: count }, (_, i) => (i * 7 + seed) % 10) };
}

/** Writes the four MNIST IDX files (raw or gzipped) into `dir`. */
export function writeMnistFiles(dir: string, opts: { gzip?: boolean; train?: number; test?: number } = {}) {
  mkdirSync(dir, { recursive: true });
  const train = mnistSplit(opts.train ?? 12, 1);
  const test = mnistSplit(opts.test ?? 5, 2);
  const write = (name: string, bytes: Uint8Array) =>
    writeFileSync(path.join(dir, opts.gzip ? `${name}.gz` : name), opts.gzip ? gzipSync(bytes) : bytes);
  write('train-images-idx3-ubyte', encodeIdx([train.labels.length, 28, 28], train.images));
  write('train-labels-idx1-ubyte', encodeIdx([train.labels.length], train.labels));
  write('t10k-images-idx3-ubyte', encodeIdx([test.labels.length, 28, 28], test.images));
  write('t10k-labels-idx1-ubyte', encodeIdx([test.labels.length], test.labels));
  return { train, test };
}

/** A small CIFAR split: `count` 32x32x3 images (HWC) with labels. */
export function cifarSplit(count: number, seed: number): { images: Uint8Array; labels: Uint8Array } {
  return { images: patternBytes(count * 3072, seed), labels: Uint8Array.from({ length: count }, (_, i) => (i * 3 + seed) % 10) };
}

/** Writes `cifar-10-batches-bin/` with the given training batches (`records` images each) and a test batch. */
export function writeCifarFolder(
  dir: string,
  opts: { batches?: number[]; records?: number; test?: boolean; meta?: boolean } = {},
) {
  mkdirSync(dir, { recursive: true });
  const records = opts.records ?? 4;
  const batches: Record<string, { images: Uint8Array; labels: Uint8Array }> = {};
  for (const i of opts.batches ?? [1, 2]) {
    const b = cifarSplit(records, 10 + i);
    batches[`data_batch_${i}`] = b;
    writeFileSync(path.join(dir, `data_batch_${i}.bin`), encodeCifarBatch(b.images, b.labels));
  }
  if (opts.test ?? true) {
    const t = cifarSplit(records, 99);
    batches.test_batch = t;
    writeFileSync(path.join(dir, 'test_batch.bin'), encodeCifarBatch(t.images, t.labels));
  }
  if (opts.meta ?? true) {
    writeFileSync(path.join(dir, 'batches.meta.txt'), 'airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n');
  }
  return batches;
}

/** An RGB test picture: a horizontal red ramp, a vertical green ramp, constant blue. */
export function rampImage(width: number, height: number): Uint8Array {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      data[o] = Math.round((255 * x) / Math.max(width - 1, 1));
      data[o + 1] = Math.round((255 * y) / Math.max(height - 1, 1));
      data[o + 2] = 96;
    }
  }
  return data;
}

/** Encodes RGB bytes as JPEG with jpeg-js (which takes RGBA input). */
export function encodeJpeg(rgb: Uint8Array, width: number, height: number, quality = 95): Buffer {
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    rgba[4 * i] = rgb[3 * i];
    rgba[4 * i + 1] = rgb[3 * i + 1];
    rgba[4 * i + 2] = rgb[3 * i + 2];
    rgba[4 * i + 3] = 255;
  }
  return jpeg.encode({ data: rgba, width, height }, quality).data;
}

/** The COCO instances JSON of {@link writeCocoLayout}; tests mutate it to make bad files. */
export function cocoJson() {
  return {
    info: { description: 'test' },
    images: [
      { id: 7, file_name: '000000000007.jpg', width: 64, height: 48 },
      { id: 9, file_name: '000000000009.jpg', width: 40, height: 80 },
    ],
    annotations: [
      { id: 1, image_id: 7, category_id: 1, bbox: [4, 6, 20, 10], area: 200, iscrowd: 0, segmentation: [] },
      { id: 2, image_id: 7, category_id: 90, bbox: [30.5, 10, 12, 30], area: 360, iscrowd: 1, segmentation: {} },
      { id: 3, image_id: 9, category_id: 3, bbox: [0, 0, 40, 80], area: 3200, iscrowd: 0, segmentation: [] },
    ],
    // Out of id order and with gaps, as COCO's ids are.
    categories: [
      { id: 90, name: 'toothbrush', supercategory: 'indoor' },
      { id: 1, name: 'person', supercategory: 'person' },
      { id: 3, name: 'car', supercategory: 'vehicle' },
    ],
  };
}

/** Writes `annotations/instances_<split>.json` and `<split>/*.jpg` (ramp images, jpeg-js encoded). */
export function writeCocoLayout(root: string, split = 'val2017', json: unknown = cocoJson()) {
  mkdirSync(path.join(root, 'annotations'), { recursive: true });
  mkdirSync(path.join(root, split), { recursive: true });
  writeFileSync(path.join(root, 'annotations', `instances_${split}.json`), JSON.stringify(json));
  for (const im of cocoJson().images) {
    writeFileSync(path.join(root, split, im.file_name), encodeJpeg(rampImage(im.width, im.height), im.width, im.height));
  }
}
