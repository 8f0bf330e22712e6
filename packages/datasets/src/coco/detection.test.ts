import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetFileError } from '../errors.js';
import { createRandom } from '../random.js';
import { encodeJpeg, rampImage, tempDir, writeCocoLayout } from '../test-utils/fixtures.js';
import { loadCoco, type CocoDataset } from './annotations.js';
import { cornersToXywh, xywhToCorners } from './boxes.js';
import { decodeJpeg, loadSharp, resolveDecoder } from './decode.js';
import { resizeBilinear } from './resize.js';
import { cocoSamples, loadDetectionSample } from './samples.js';
import { RETINANET_TRAIN_TRANSFORM, targetSize, transformDetection } from './transform.js';

const tmp = tempDir();
let dataset: CocoDataset;
beforeAll(async () => {
  writeCocoLayout(tmp.dir);
  dataset = await loadCoco({ root: tmp.dir, log: false });
});
afterAll(tmp.cleanup);

function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
}

describe('decodeJpeg', () => {
  it('sharp loads here, and auto picks it', async () => {
    expect(await loadSharp()).toBeTypeOf('function');
    expect(await resolveDecoder('auto')).toBe('sharp');
  });

  it('decodes an RGB JPEG to the same pixels (within JPEG loss) with sharp and with jpeg-js', async () => {
    const rgb = rampImage(64, 48);
    const bytes = encodeJpeg(rgb, 64, 48, 95);
    const a = await decodeJpeg(bytes, 'ramp.jpg', 'sharp');
    const b = await decodeJpeg(bytes, 'ramp.jpg', 'jpeg-js');
    for (const d of [a, b]) {
      expect([d.width, d.height, d.data.length]).toEqual([64, 48, 64 * 48 * 3]);
      expect(meanAbsDiff(d.data, rgb)).toBeLessThan(3);
    }
    expect(meanAbsDiff(a.data, b.data)).toBeLessThan(2);
  });

  it('expands a grey JPEG to three equal channels with both decoders', async () => {
    const grey = Uint8Array.from({ length: 16 * 8 }, (_, i) => (i * 2) % 256);
    const bytes = await sharp(grey, { raw: { width: 16, height: 8, channels: 1 } }).toColourspace('b-w').jpeg({ quality: 95 }).toBuffer();
    expect((await sharp(bytes).metadata()).channels).toBe(1);
    for (const decoder of ['sharp', 'jpeg-js'] as const) {
      const d = await decodeJpeg(bytes, 'grey.jpg', decoder);
      expect(d.data.length).toBe(16 * 8 * 3);
      for (let i = 0; i < 16 * 8; i++) {
        expect(d.data[3 * i + 1]).toBe(d.data[3 * i]);
        expect(d.data[3 * i + 2]).toBe(d.data[3 * i]);
      }
      expect(Math.abs(d.data[3 * 40] - grey[40])).toBeLessThan(6);
    }
  });

  it('fails loudly, naming the file, on a corrupt JPEG with either decoder', async () => {
    const bytes = encodeJpeg(rampImage(16, 16), 16, 16).subarray(0, 40);
    for (const decoder of ['sharp', 'jpeg-js'] as const) {
      await expect(decodeJpeg(bytes, '/x/broken.jpg', decoder)).rejects.toThrow(new RegExp(`/x/broken\\.jpg: cannot be decoded as JPEG with ${decoder}`));
    }
  });
});

describe('resizeBilinear', () => {
  it('uses half-pixel centres: 2x1 -> 4x1 gives 25%/75% blends at the inner pixels', () => {
    const img = { data: Uint8Array.from([0, 0, 0, 200, 100, 40]), width: 2, height: 1 };
    const r = resizeBilinear(img, 4, 1);
    // source x = (dst + 0.5) / 2 - 0.5 = -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to 1)
    expect(Array.from(r.data)).toEqual([0, 0, 0, 50, 25, 10, 150, 75, 30, 200, 100, 40]);
    const flat = { data: new Uint8Array(10 * 6 * 3).fill(77), width: 10, height: 6 };
    expect(resizeBilinear(flat, 3, 7).data.every((v) => v === 77)).toBe(true);
  });
});

describe('RetinaNet transform', () => {
  it('scales the shorter side to minSide, capped so the longer side stays within maxSide', () => {
    const r = createRandom(0);
    expect(targetSize(640, 480, { minSide: 800, maxSide: 1333 }, r)).toMatchObject({ width: 1067, height: 800 });
    expect(targetSize(1000, 200, { minSide: 800, maxSide: 1333 }, r)).toMatchObject({ width: 1333, height: 267 });
    // Jitter draws the shorter side uniformly from [640, 1024] (Keras RetinaNet example).
    const sides = Array.from({ length: 400 }, () => targetSize(640, 480, RETINANET_TRAIN_TRANSFORM, r).height);
    expect(Math.min(...sides)).toBeGreaterThanOrEqual(640);
    expect(Math.max(...sides)).toBeLessThanOrEqual(1000); // 1333 / 640 * 480 = 999.75 caps it
    // Mean of U[640, 1000] after the cap ~ mostly spread: with 400 draws the extremes get close to the bounds.
    expect(Math.min(...sides)).toBeLessThan(660);
    expect(Math.max(...sides)).toBe(1000);
  });

  it('resizes, pads to a stride multiple with zeros, and scales boxes (corners, pixels)', async () => {
    const image = dataset.images[0]; // 64x48, boxes [4,6,20,10] and crowd [30.5,10,12,30]
    const decoded = await decodeJpeg(readFileSync(image.path), image.path, 'jpeg-js');
    const s = transformDetection(decoded, image, { minSide: 96, maxSide: 1000, stride: 64 }, createRandom(0));
    expect([s.resizedWidth, s.resizedHeight, s.width, s.height, s.scale]).toEqual([128, 96, 128, 128, 2]);
    expect(Array.from(s.boxes)).toEqual([8, 12, 48, 32, 61, 20, 85, 80]);
    expect(Array.from(s.labels)).toEqual([0, 2]);
    expect(Array.from(s.iscrowd)).toEqual([0, 1]);
    expect(s.image.length).toBe(128 * 128 * 3);
    expect(s.image.subarray(96 * 128 * 3).every((v) => v === 0)).toBe(true); // bottom padding
    expect(cornersToXywh(Array.from(s.boxes.subarray(4, 8)))).toEqual([61, 20, 24, 60]);
    expect(xywhToCorners(image.objects[1].bbox)).toEqual([30.5, 10, 42.5, 40]);
    // The red channel ramps left to right in the fixture.
    expect(s.image[(50 * 128 + 120) * 3]).toBeGreaterThan(s.image[(50 * 128 + 5) * 3] + 150);
  });

  it('flips pixels and boxes together', async () => {
    const image = dataset.images[0];
    const decoded = await decodeJpeg(readFileSync(image.path), image.path, 'jpeg-js');
    const opts = { minSide: 48, maxSide: 1000, stride: 32 };
    const plain = transformDetection(decoded, image, opts, () => 0.9);
    const flipped = transformDetection(decoded, image, { ...opts, flip: true }, () => 0.1);
    expect([plain.flipped, flipped.flipped]).toEqual([false, true]);
    expect(Array.from(flipped.boxes)).toEqual([64 - 24, 6, 64 - 4, 16, 64 - 42.5, 10, 64 - 30.5, 40]);
    for (let x = 0; x < 64; x++) {
      for (let k = 0; k < 3; k++) expect(flipped.image[(10 * 64 + x) * 3 + k]).toBe(plain.image[(10 * 64 + 63 - x) * 3 + k]);
    }
  });

  it('fails loudly when the image does not have the size the JSON gives', async () => {
    const image = { ...dataset.images[0], width: 65 };
    const decoded = await decodeJpeg(readFileSync(image.path), image.path, 'sharp');
    expect(() => transformDetection(decoded, image, {}, createRandom(0))).toThrow(DatasetFileError);
    expect(() => transformDetection(decoded, image, {}, createRandom(0))).toThrow(/000000000007\.jpg: decodes to 64x48, but the annotations say 65x48/);
  });

  it('cocoSamples yields every image once, reproducibly, with either decoder', async () => {
    const run = async (decoder: 'sharp' | 'jpeg-js') => {
      const out = [];
      for await (const s of cocoSamples(dataset, { decoder, shuffle: true, seed: 4, transform: { ...RETINANET_TRAIN_TRANSFORM, minSide: 64, maxSide: 160, jitter: [48, 96] } })) out.push(s);
      return out;
    };
    const a = await run('sharp');
    const b = await run('jpeg-js');
    expect(a.map((s) => s.imageId).sort()).toEqual([7, 9]);
    expect(a.map((s) => [s.imageId, s.width, s.height, s.flipped])).toEqual(b.map((s) => [s.imageId, s.width, s.height, s.flipped]));
    expect(Array.from(a[0].boxes)).toEqual(Array.from(b[0].boxes));
    expect(meanAbsDiff(a[0].image, b[0].image)).toBeLessThan(2);
    for (const s of a) expect(s.width % 128 === 0 && s.height % 128 === 0).toBe(true);
    const single = await loadDetectionSample(dataset.images[1], { decoder: 'jpeg-js' });
    expect([single.resizedWidth, single.resizedHeight]).toEqual([667, 1333]); // 40x80: 800/40 = 20 -> capped at 1333/80
  });

  it('a missing image file at read time fails naming it', async () => {
    const gone = { ...dataset.images[0], path: path.join(tmp.dir, 'nope.jpg') };
    await expect(loadDetectionSample(gone)).rejects.toThrow(/nope\.jpg/);
    writeFileSync(path.join(tmp.dir, 'text.jpg'), 'not a jpeg');
    await expect(loadDetectionSample({ ...gone, path: path.join(tmp.dir, 'text.jpg') }, { decoder: 'jpeg-js' })).rejects.toThrow(/text\.jpg: cannot be decoded/);
  });
});
