import { numberArgumentError } from '../errors.js';
import { SUBSET_OPTION_KEYS, assertKnownOptions } from '../option-keys.js';

/**
 * A set of same-sized images kept as unsigned bytes (channels-last, `NHWC`) with one integer label each.
 * Bytes keep memory low: CIFAR-10's 60,000 images are 184 MB as bytes and four times that as float32; batches
 * are converted to float only when produced (see `batches`).
 */
export interface ImageSet {
  /** `count * height * width * channels` bytes: image, row, column, channel. */
  images: Uint8Array;
  /** One class index per image, `0..numClasses-1`. */
  labels: Uint8Array;
  /** Number of images. */
  count: number;
  /** Image height in pixels. */
  height: number;
  /** Image width in pixels. */
  width: number;
  /** Channels per pixel (1 for MNIST, 3 for CIFAR-10: R, G, B). */
  channels: number;
}

/** Where a dataset was loaded from. */
export type SourceKind = 'dataDir' | 'cache' | 'download' | 'package';

/** A classification dataset: train and test sets, class names and where it came from. */
export interface ClassificationData {
  /** Dataset name, e.g. `'cifar10'`. */
  name: string;
  /** Training images (after `limit` and after removing the validation images, when asked for). */
  train: ImageSet;
  /** Held-out validation images taken from the end of the training images, when `validation` was given. */
  validation?: ImageSet;
  /** Test images (after `limit`). */
  test: ImageSet;
  /** Class names, index = label. */
  classNames: string[];
  /** Which source provided the files. */
  source: SourceKind;
  /** The folder (or package folder) the files were read from. */
  location: string;
  /**
   * The files read, absolute paths in a fixed order (training files, then test files, then metadata): what a
   * record of a run needs to name and checksum the data it used (`hashFile`).
   */
  files: string[];
  /** One line saying what was found, e.g. `CIFAR-10: 2 of 5 training batches (20,000 images) + 10,000 test images from ...`. */
  summary: string;
}

/** Options shared by the classification loaders to shrink or split what they return. */
export interface SubsetOptions {
  /**
   * Keep only the first N images of each split (a number), or per split. Deterministic: always the same
   * images, in file order (both datasets ship in random class order, so the first N are a fair sample).
   */
  limit?: number | { train?: number; test?: number };
  /**
   * Hold out validation images from the end of the training images, like Keras's `validationSplit`: a
   * fraction in (0, 1) or, when >= 1, a count. Applied after `limit`.
   */
  validation?: number;
}

function checkSet(set: ImageSet, name: string): void {
  const size = set.height * set.width * set.channels;
  if (set.images.length !== set.count * size || set.labels.length !== set.count) {
    throw new RangeError(`${name}: ${set.count} images of ${set.height}x${set.width}x${set.channels} do not match its arrays`);
  }
}

/** A view of images `[start, end)` (no copy). */
export function sliceSet(set: ImageSet, start: number, end: number): ImageSet {
  checkSet(set, 'sliceSet(set)');
  const s = Math.max(0, Math.min(start, set.count));
  const e = Math.max(s, Math.min(end, set.count));
  const size = set.height * set.width * set.channels;
  return { ...set, images: set.images.subarray(s * size, e * size), labels: set.labels.subarray(s, e), count: e - s };
}

/** The first `limit` images (all when `limit` is undefined). Deterministic. */
export function takeFirst(set: ImageSet, limit: number | undefined): ImageSet {
  if (limit === undefined) return set;
  if (!Number.isInteger(limit) || limit < 0) throw numberArgumentError('limit', 'a non-negative integer', limit);
  return sliceSet(set, 0, limit);
}

/**
 * Splits off validation images from the end of `set` (Keras `validationSplit` semantics): `validation` is a
 * fraction in (0, 1) or a count >= 1.
 */
export function splitValidation(set: ImageSet, validation: number): { train: ImageSet; validation: ImageSet } {
  if (typeof validation !== 'number' || !(validation > 0) || !Number.isFinite(validation)) {
    throw numberArgumentError('validation', 'a fraction in (0, 1) or a count >= 1', validation);
  }
  let n: number;
  if (validation < 1) n = Math.round(set.count * validation);
  else if (Number.isInteger(validation)) n = validation;
  else throw numberArgumentError('validation', 'a fraction in (0, 1) or an integer count', validation);
  if (n <= 0 || n >= set.count) {
    throw new RangeError(`validation=${validation} leaves ${set.count - n} of ${set.count} training images; choose a smaller split`);
  }
  return { train: sliceSet(set, 0, set.count - n), validation: sliceSet(set, set.count - n, set.count) };
}

/** Applies {@link SubsetOptions} to loaded train/test sets. */
export function applySubset(
  train: ImageSet,
  test: ImageSet,
  options: SubsetOptions,
): { train: ImageSet; validation?: ImageSet; test: ImageSet } {
  assertKnownOptions(options, SUBSET_OPTION_KEYS, 'subset options');
  const limit = options.limit;
  if (limit !== null && typeof limit === 'object') assertKnownOptions(limit, ['train', 'test'], 'limit');
  const trainLimit = typeof limit === 'number' ? limit : limit?.train;
  const testLimit = typeof limit === 'number' ? limit : limit?.test;
  let tr = takeFirst(train, trainLimit);
  const te = takeFirst(test, testLimit);
  if (options.validation === undefined) return { train: tr, test: te };
  const split = splitValidation(tr, options.validation);
  tr = split.train;
  return { train: tr, validation: split.validation, test: te };
}

/** Per-channel mean and standard deviation on the 0-1 scale. */
export interface ChannelStats {
  /** Mean of each channel. */
  mean: number[];
  /** Standard deviation of each channel (population, over all pixels of all images). */
  std: number[];
}

/** Computes per-channel mean and std of a set on the 0-1 scale (pixel / 255), e.g. to normalise with. */
export function channelStats(set: ImageSet): ChannelStats {
  checkSet(set, 'channelStats(set)');
  const c = set.channels;
  const sum = new Float64Array(c);
  const sq = new Float64Array(c);
  const data = set.images;
  for (let i = 0; i < data.length; i += c) {
    for (let k = 0; k < c; k++) {
      const v = data[i + k];
      sum[k] += v;
      sq[k] += v * v;
    }
  }
  const n = data.length / c;
  const mean = Array.from(sum, (s) => s / n / 255);
  const std = Array.from(sq, (q, k) => Math.sqrt(Math.max(q / n / 65025 - mean[k] * mean[k], 0)));
  return { mean, std };
}

/** Per-channel mean of CIFAR-10's 50,000 original training images, 0-1 scale (R, G, B). */
export const CIFAR10_MEAN: readonly number[] = [0.4914, 0.4822, 0.4465];
/**
 * Per-channel std of CIFAR-10's original training images, 0-1 scale. (The often-copied 0.2023, 0.1994, 0.2010
 * are the mean of per-image stds, not the dataset std.)
 */
export const CIFAR10_STD: readonly number[] = [0.247, 0.2435, 0.2616];
/** Mean of MNIST's 60,000 training images, 0-1 scale. */
export const MNIST_MEAN: readonly number[] = [0.1307];
/** Std of MNIST's 60,000 training images, 0-1 scale. */
export const MNIST_STD: readonly number[] = [0.3081];
