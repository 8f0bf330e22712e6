import { createRandom, mixSeed, randomInt, shuffledIndices, type Random } from '../random.js';
import type { ImageSet } from './image-set.js';
import { numberArgumentError } from '../errors.js';
import { assertBatchOptions } from '../option-keys.js';

/**
 * Augmentation for classification batches. `'cifar'` is the standard CIFAR recipe (He et al. 2016, sec. 4.2:
 * "4 pixels are padded on each side, and a 32x32 crop is randomly sampled from the padded image or its
 * horizontal flip"): `{ padding: 4, flip: true }`.
 */
export interface AugmentOptions {
  /**
   * Random-crop padding in pixels: each image is padded with `padding` zero pixels (black, before
   * normalisation, as torchvision's `RandomCrop(32, padding=4)` does) on every side and an image-sized
   * window is cut at a uniformly random offset in `[0, 2 * padding]`. 0 disables cropping.
   */
  padding?: number;
  /** Mirror left-right with probability 1/2. */
  flip?: boolean;
}

/** Options of {@link batches}. */
export interface BatchOptions {
  /** Images per batch (the last batch may be smaller unless `dropRemainder`). */
  batchSize: number;
  /** Visit images in a seeded random order. Default false (file order). */
  shuffle?: boolean;
  /** Seed of the shuffle order and the augmentation. Default 0. */
  seed?: number;
  /** Epoch number, mixed into the seed so every epoch has its own reproducible order. Default 0. */
  epoch?: number;
  /**
   * Per-channel normalisation on the 0-1 scale: `x = (pixel / 255 - mean[c]) / std[c]`. Default: none
   * (`pixel / 255`). See `CIFAR10_MEAN`/`CIFAR10_STD`, `MNIST_MEAN`/`MNIST_STD`, `channelStats`.
   */
  normalize?: { mean: readonly number[]; std: readonly number[] };
  /** Augmentation: `'cifar'` (pad 4 + random crop + horizontal flip) or custom options. Default none. */
  augment?: 'cifar' | AugmentOptions;
  /** Drop a final batch smaller than `batchSize`. Default false. */
  dropRemainder?: boolean;
  /** Give labels one-hot (float32, `numClasses` per image) instead of class indices. */
  oneHot?: number;
}

/** One batch of float images and their labels. */
export interface Batch {
  /** `size * height * width * channels` floats, channels-last (`NHWC`). */
  xs: Float32Array;
  /** Class indices (Int32Array, `size`) or one-hot rows (Float32Array, `size * oneHot`). */
  ys: Int32Array | Float32Array;
  /** Images in this batch. */
  size: number;
  /** `[size, height, width, channels]`. */
  shape: [number, number, number, number];
  /** Which images of the set (indices) went into this batch, in order. */
  indices: Uint32Array;
}

function resolveAugment(augment: BatchOptions['augment']): Required<AugmentOptions> {
  if (augment === undefined) return { padding: 0, flip: false };
  if (augment === 'cifar') return { padding: 4, flip: true };
  const padding = augment.padding ?? 0;
  if (!Number.isInteger(padding) || padding < 0) throw numberArgumentError('augment.padding', 'a non-negative integer', padding);
  return { padding, flip: augment.flip ?? false };
}

/** Number of batches {@link batches} yields for a set. */
export function batchCount(set: ImageSet, batchSize: number, dropRemainder = false): number {
  return dropRemainder ? Math.floor(set.count / batchSize) : Math.ceil(set.count / batchSize);
}

/**
 * Yields float batches of an {@link ImageSet}: optional seeded shuffle, augmentation (random crop with zero
 * padding, horizontal flip) and per-channel normalisation, converting bytes to float one batch at a time.
 * Deterministic for a given `seed` and `epoch`.
 */
export function* batches(set: ImageSet, options: BatchOptions): Generator<Batch, void, undefined> {
  assertBatchOptions(options, 'batches options');
  const { batchSize } = options;
  if (!Number.isInteger(batchSize) || batchSize <= 0) throw numberArgumentError('batchSize', 'a positive integer', batchSize);
  const { height: h, width: w, channels: c } = set;
  const aug = resolveAugment(options.augment);
  const scale = new Float32Array(c);
  const shift = new Float32Array(c);
  for (let k = 0; k < c; k++) {
    const mean = options.normalize ? options.normalize.mean[k] : 0;
    const std = options.normalize ? options.normalize.std[k] : 1;
    if (mean === undefined || std === undefined || !(std > 0)) {
      throw new RangeError(`normalize needs ${c} means and ${c} positive stds, got mean=${options.normalize?.mean} std=${options.normalize?.std}`);
    }
    // (p / 255 - mean) / std = p * scale + shift
    scale[k] = 1 / (255 * std);
    shift[k] = -mean / std;
  }
  if (options.oneHot !== undefined && (!Number.isInteger(options.oneHot) || options.oneHot <= 0)) {
    throw numberArgumentError('oneHot', 'the number of classes (a positive integer)', options.oneHot);
  }
  const seed = mixSeed(options.seed ?? 0, options.epoch ?? 0);
  const order = options.shuffle ? shuffledIndices(set.count, createRandom(seed)) : Uint32Array.from({ length: set.count }, (_, i) => i);
  // A separate stream for augmentation, so turning shuffling on or off does not change the crops' distribution.
  const augRandom: Random = createRandom(mixSeed(seed, 0x5eed));
  const imageSize = h * w * c;
  const total = batchCount(set, batchSize, options.dropRemainder);

  for (let b = 0; b < total; b++) {
    const start = b * batchSize;
    const size = Math.min(batchSize, set.count - start);
    const indices = order.slice(start, start + size);
    const xs = new Float32Array(size * imageSize);
    for (let n = 0; n < size; n++) {
      const src = indices[n] * imageSize;
      const dst = n * imageSize;
      const dy = aug.padding > 0 ? randomInt(augRandom, 2 * aug.padding + 1) - aug.padding : 0;
      const dx = aug.padding > 0 ? randomInt(augRandom, 2 * aug.padding + 1) - aug.padding : 0;
      const flip = aug.flip && augRandom() < 0.5;
      for (let y = 0; y < h; y++) {
        const sy = y + dy;
        const rowInside = sy >= 0 && sy < h;
        for (let x = 0; x < w; x++) {
          // Output column x shows padded-image column x + dx of the (possibly mirrored) source.
          const cx = x + dx;
          const sx = flip ? w - 1 - cx : cx;
          const o = dst + (y * w + x) * c;
          if (rowInside && cx >= 0 && cx < w) {
            const i = src + (sy * w + sx) * c;
            for (let k = 0; k < c; k++) xs[o + k] = set.images[i + k] * scale[k] + shift[k];
          } else {
            for (let k = 0; k < c; k++) xs[o + k] = shift[k]; // a zero pixel, normalised
          }
        }
      }
    }
    let ys: Int32Array | Float32Array;
    if (options.oneHot !== undefined) {
      const k = options.oneHot;
      ys = new Float32Array(size * k);
      for (let n = 0; n < size; n++) {
        const label = set.labels[indices[n]];
        if (label >= k) throw new RangeError(`label ${label} of image ${indices[n]} does not fit oneHot=${k}`);
        ys[n * k + label] = 1;
      }
    } else {
      ys = Int32Array.from(indices, (i) => set.labels[i]);
    }
    yield { xs, ys, size, shape: [size, h, w, c], indices };
  }
}
