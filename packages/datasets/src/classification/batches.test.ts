import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { batchCount, batches, type Batch } from './batches.js';
import { channelStats, splitValidation, takeFirst, type ImageSet } from './image-set.js';
import { toTfDataset } from './tf-dataset.js';

/** `count` copies of an HxW image whose pixel (y, x), channel k is 1 + y * W + x + 100 * k (all distinct, non-zero). */
function positionSet(count: number, h: number, w: number, c: number): ImageSet {
  const images = new Uint8Array(count * h * w * c);
  for (let n = 0; n < count; n++) {
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) images[((n * h + y) * w + x) * c + k] = 1 + y * w + x + 100 * k;
  }
  return { images, labels: Uint8Array.from({ length: count }, (_, i) => i % 10), count, height: h, width: w, channels: c };
}

function all(set: ImageSet, options: Parameters<typeof batches>[1]): Batch[] {
  return [...batches(set, options)];
}

/** Recovers (dy, dx, flip) from an augmented position image, or throws if it is not a padded crop. */
function recoverCrop(out: Float32Array, h: number, w: number, padding: number): { dy: number; dx: number; flip: boolean } {
  for (const flip of [false, true]) {
    for (let dy = -padding; dy <= padding; dy++) {
      for (let dx = -padding; dx <= padding; dx++) {
        let ok = true;
        for (let y = 0; y < h && ok; y++) {
          for (let x = 0; x < w && ok; x++) {
            const sy = y + dy;
            const cx = x + dx;
            const sx = flip ? w - 1 - cx : cx;
            const expected = sy >= 0 && sy < h && cx >= 0 && cx < w ? (1 + sy * w + sx) / 255 : 0;
            ok = Math.abs(out[y * w + x] - expected) < 1e-6;
          }
        }
        if (ok) return { dy, dx, flip };
      }
    }
  }
  throw new Error('output is not a padded crop of the input');
}

describe('batches', () => {
  it('normalises per channel: (pixel / 255 - mean) / std', () => {
    const set: ImageSet = { images: Uint8Array.from([0, 255, 51, 102, 204, 255]), labels: Uint8Array.from([3, 4]), count: 2, height: 1, width: 1, channels: 3 };
    const [b] = all(set, { batchSize: 2, normalize: { mean: [0.5, 0.4, 0.2], std: [0.25, 0.5, 2] } });
    const expected = [(0 - 0.5) / 0.25, (1 - 0.4) / 0.5, (0.2 - 0.2) / 2, (0.4 - 0.5) / 0.25, (0.8 - 0.4) / 0.5, (1 - 0.2) / 2];
    Array.from(b.xs).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
    expect(Array.from(b.ys)).toEqual([3, 4]);
    expect(b.shape).toEqual([2, 1, 1, 3]);
  });

  it('without shuffle keeps file order; the last batch is smaller unless dropRemainder', () => {
    const set = positionSet(10, 2, 2, 1);
    const bs = all(set, { batchSize: 4 });
    expect(bs.map((b) => b.size)).toEqual([4, 4, 2]);
    expect(Array.from(bs[2].indices)).toEqual([8, 9]);
    expect(all(set, { batchSize: 4, dropRemainder: true }).map((b) => b.size)).toEqual([4, 4]);
    expect([batchCount(set, 4), batchCount(set, 4, true)]).toEqual([3, 2]);
    const [one] = all(set, { batchSize: 3, oneHot: 10 });
    expect(Array.from(one.ys)).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('shuffles with a seed: a permutation, reproducible, different per epoch and per seed', () => {
    const set = positionSet(50, 1, 1, 1);
    const order = (seed: number, epoch: number) => all(set, { batchSize: 16, shuffle: true, seed, epoch }).flatMap((b) => Array.from(b.indices));
    const a = order(7, 0);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(order(7, 0)).toEqual(a);
    expect(order(7, 1)).not.toEqual(a);
    expect(order(8, 0)).not.toEqual(a);
    expect(a).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('augments by a zero-padded random crop and a horizontal flip, with uniform offsets and p(flip) = 1/2', () => {
    const n = 2000;
    const set = positionSet(n, 6, 6, 1);
    const padding = 2;
    const dxCounts = new Map<number, number>();
    let flips = 0;
    for (const b of batches(set, { batchSize: 256, augment: { padding, flip: true }, seed: 3 })) {
      for (let i = 0; i < b.size; i++) {
        const crop = recoverCrop(b.xs.subarray(i * 36, (i + 1) * 36), 6, 6, padding);
        dxCounts.set(crop.dx, (dxCounts.get(crop.dx) ?? 0) + 1);
        if (crop.flip) flips++;
      }
    }
    // 5 offsets, each with probability 1/5: binomial sd = sqrt(n * 0.2 * 0.8) = 17.9; allow 5 sd.
    expect([...dxCounts.keys()].sort((a, b) => a - b)).toEqual([-2, -1, 0, 1, 2]);
    for (const c of dxCounts.values()) expect(Math.abs(c - n / 5)).toBeLessThan(5 * Math.sqrt(n * 0.16));
    // Flip probability 1/2: sd = sqrt(n / 4) = 22.4; allow 5 sd.
    expect(Math.abs(flips - n / 2)).toBeLessThan(5 * Math.sqrt(n / 4));
  });

  it("'cifar' augmentation pads 4 and flips; zero padding becomes -mean/std after normalisation; same seed, same batch", () => {
    // A constant non-zero picture, so every -2 in the output is padding.
    const set: ImageSet = { images: new Uint8Array(64 * 3072).fill(200), labels: new Uint8Array(64), count: 64, height: 32, width: 32, channels: 3 };
    const opts = { batchSize: 64, augment: 'cifar' as const, normalize: { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] }, seed: 11 };
    const [a] = all(set, opts);
    const [b] = all(set, opts);
    expect(Buffer.compare(Buffer.from(a.xs.buffer), Buffer.from(b.xs.buffer))).toBe(0);
    // Padded pixels are exactly (0 - 0.5) / 0.25 = -2; a non-zero crop offset yields some of them.
    const padded = a.xs.filter((v) => v === -2).length;
    expect(padded).toBeGreaterThan(0);
    // No image is shifted by more than 4 pixels: the centre row between columns 4 and 27 is never padding.
    for (let i = 0; i < 64; i++) {
      for (let x = 4; x < 28; x++) expect(a.xs[((i * 32 + 16) * 32 + x) * 3]).not.toBe(-2);
    }
  });

  it('rejects bad options, naming them', () => {
    const set = positionSet(4, 2, 2, 3);
    expect(() => all(set, { batchSize: 0 })).toThrow(/batchSize must be a positive integer/);
    expect(() => all(set, { batchSize: 2, normalize: { mean: [0], std: [1] } })).toThrow(/normalize needs 3 means/);
    expect(() => all(set, { batchSize: 2, augment: { padding: -1 } })).toThrow(/augment\.padding/);
  });
});

describe('subsets and statistics', () => {
  it('takeFirst / splitValidation are deterministic views (Keras validationSplit: the last images)', () => {
    const set = positionSet(10, 1, 1, 1);
    expect(takeFirst(set, 4).count).toBe(4);
    const s = splitValidation(set, 0.3);
    expect([s.train.count, s.validation.count]).toEqual([7, 3]);
    expect(Array.from(s.validation.labels)).toEqual([7, 8, 9]);
    expect(splitValidation(set, 2).validation.count).toBe(2);
    expect(() => splitValidation(set, 10)).toThrow(/validation=10 leaves 0 of 10/);
    expect(() => splitValidation(set, 1.5)).toThrow(/integer count/);
  });

  it('argument errors follow the shared @db style: TypeError naming the type, RangeError showing the number', () => {
    const set = positionSet(10, 1, 1, 1);
    const cases: [() => unknown, ErrorConstructor, string][] = [
      [() => splitValidation(set, '0.2' as never), TypeError, "validation must be a fraction in (0, 1) or a count >= 1, got the string '0.2'"],
      [() => splitValidation(set, 0), RangeError, 'validation must be a fraction in (0, 1) or a count >= 1, got 0'],
      [() => takeFirst(set, '4' as never), TypeError, "limit must be a non-negative integer, got the string '4'"],
      [() => takeFirst(set, -1), RangeError, 'limit must be a non-negative integer, got -1'],
      [() => all(set, { batchSize: 0 }), RangeError, 'batchSize must be a positive integer, got 0'],
    ];
    for (const [fn, type, message] of cases) {
      expect(fn).toThrow(type);
      expect(fn).toThrow(message);
    }
  });

  it('channelStats computes population mean/std on the 0-1 scale', () => {
    const set: ImageSet = { images: Uint8Array.from([0, 255, 255, 255]), labels: Uint8Array.from([0, 0]), count: 2, height: 1, width: 1, channels: 2 };
    const s = channelStats(set);
    expect(s.mean[0]).toBeCloseTo(0.5, 10);
    expect(s.std[0]).toBeCloseTo(0.5, 10);
    expect(s.mean[1]).toBeCloseTo(1, 10);
    expect(s.std[1]).toBeCloseTo(0, 6);
  });
});

describe('toTfDataset', () => {
  it('knows its batch count, so fitDataset tells callbacks the steps per epoch without batchesPerEpoch', async () => {
    const set = positionSet(10, 4, 4, 3);
    expect((await toTfDataset(set, { batchSize: 4 })).size).toBe(3);
    expect((await toTfDataset(set, { batchSize: 4, dropRemainder: true })).size).toBe(2);
    expect((await toTfDataset(set, { batchSize: 5 })).size).toBe(batchCount(set, 5));
    // What tfjs-layers' fitDataset hands its callbacks (training_dataset.ts getStepsPerEpoch: dataset.size).
    const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [4, 4, 3] }), tf.layers.dense({ units: 10 })] });
    model.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
    const seen: unknown[] = [];
    const probe = new (class extends tf.Callback {
      override async onTrainBegin(): Promise<void> {
        seen.push(this.params['steps']);
      }
    })();
    await model.fitDataset(await toTfDataset(set, { batchSize: 4, oneHot: 10 }), { epochs: 1, verbose: 0, callbacks: [probe] });
    expect(seen).toEqual([3]);
    model.dispose();
  });

  it('yields the same batches as tensors, a new shuffle per epoch, and leaks no tensors', async () => {
    const set = positionSet(10, 4, 4, 3);
    const opts = { batchSize: 4, shuffle: true, seed: 5, augment: 'cifar' as const };
    const ds = await toTfDataset(set, opts);
    const before = tf.memory().numTensors;
    const epochs: number[][] = [];
    for (let e = 0; e < 2; e++) {
      const labels: number[] = [];
      const expected = all(set, { ...opts, epoch: e });
      let i = 0;
      await ds.forEachAsync(({ xs, ys }) => {
        expect(xs.shape).toEqual(expected[i].shape);
        expect(xs.dtype).toBe('float32');
        expect(ys.dtype).toBe('int32');
        expect(Array.from(xs.dataSync())).toEqual(Array.from(expected[i].xs));
        labels.push(...Array.from(ys.dataSync()));
        i++;
      });
      expect(i).toBe(3);
      epochs.push(labels);
    }
    expect(epochs[0]).not.toEqual(epochs[1]);
    expect(tf.memory().numTensors).toBe(before);
    const oneHot = await toTfDataset(set, { batchSize: 10, oneHot: 10 });
    const first = await oneHot.take(1).toArray();
    expect(first[0].ys.shape).toEqual([10, 10]);
    expect(Array.from(first[0].ys.argMax(1).dataSync())).toEqual(Array.from(set.labels));
  });
});
