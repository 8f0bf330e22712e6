/**
 * The option names of every public options object of @db/datasets, for `assertKnownOptions` (@db/core): a key not
 * listed is an error naming the nearest valid one. `optionKeys` makes the compiler check each list against its
 * type, so an option added to a type must be added here too (the type error names it).
 */
import { assertKnownOptions, optionKeys } from '@db/core';
import type { BatchOptions, AugmentOptions } from './classification/batches.js';
import type { SubsetOptions } from './classification/image-set.js';
import type { Cifar10Options, ReadCifar10FolderOptions } from './cifar10.js';
import type { CocoOptions } from './coco/annotations.js';
import type { CocoDownloadOptions } from './coco/download.js';
import type { CocoSampleOptions } from './coco/samples.js';
import type { DetectionTransformOptions } from './coco/transform.js';
import type { DownloadOptions } from './download/download.js';
import type { MnistOptions } from './mnist.js';
import type { LocationOptions } from './paths.js';

const LOCATION = optionKeys<LocationOptions>()(['dataDir', 'cacheDir']);
const SUBSET = optionKeys<SubsetOptions>()(['limit', 'validation']);
const LOADER_DOWNLOAD = optionKeys<NonNullable<MnistOptions['downloadOptions']>>()(['retries', 'retryDelayMs', 'idleTimeoutMs', 'progress']);

export const LOCATION_OPTION_KEYS = LOCATION;
export const SUBSET_OPTION_KEYS = SUBSET;
export const MNIST_OPTION_KEYS = optionKeys<MnistOptions>()([...LOCATION, ...SUBSET, 'log', 'sources', 'download', 'mirrors', 'downloadOptions']);
export const CIFAR10_OPTION_KEYS = optionKeys<Cifar10Options>()([
  ...LOCATION,
  ...SUBSET,
  'log',
  'sources',
  'download',
  'mirror',
  'archive',
  'downloadOptions',
  'recordsPerBatch',
]);
export const READ_CIFAR10_FOLDER_OPTION_KEYS = optionKeys<ReadCifar10FolderOptions>()(['recordsPerBatch']);
export const COCO_OPTION_KEYS = optionKeys<CocoOptions>()([...LOCATION, 'log', 'split', 'root', 'limit']);
export const COCO_DOWNLOAD_OPTION_KEYS = optionKeys<CocoDownloadOptions>()([
  'images',
  'cacheDir',
  'log',
  'maxBytes',
  'mirror',
  'download',
  'decoder',
  'downloadOptions',
]);
export const COCO_DOWNLOAD_RETRY_KEYS = optionKeys<NonNullable<CocoDownloadOptions['downloadOptions']>>()(['retries', 'retryDelayMs', 'idleTimeoutMs']);
export const BATCH_OPTION_KEYS = optionKeys<BatchOptions>()(['batchSize', 'shuffle', 'seed', 'epoch', 'normalize', 'augment', 'dropRemainder', 'oneHot']);
export const AUGMENT_OPTION_KEYS = optionKeys<AugmentOptions>()(['padding', 'flip']);
export const NORMALIZE_OPTION_KEYS = optionKeys<NonNullable<BatchOptions['normalize']>>()(['mean', 'std']);
export const DETECTION_TRANSFORM_OPTION_KEYS = optionKeys<DetectionTransformOptions>()(['minSide', 'maxSide', 'jitter', 'stride', 'flip']);
export const COCO_SAMPLE_OPTION_KEYS = optionKeys<CocoSampleOptions>()(['transform', 'decoder', 'shuffle', 'seed', 'epoch']);
export const DOWNLOAD_OPTION_KEYS = optionKeys<DownloadOptions>()([
  'urls',
  'dest',
  'checksum',
  'gunzip',
  'size',
  'retries',
  'retryDelayMs',
  'idleTimeoutMs',
  'progress',
  'label',
]);

/** Checks a loader's options and its nested `limit` and `downloadOptions` objects. */
export function assertLoaderOptions(options: object, keys: readonly string[], what: string): void {
  assertKnownOptions(options, keys, what);
  const { limit, downloadOptions } = options as { limit?: unknown; downloadOptions?: unknown };
  if (limit !== null && typeof limit === 'object') assertKnownOptions(limit, ['train', 'test'], 'limit');
  assertKnownOptions(downloadOptions, LOADER_DOWNLOAD, 'downloadOptions');
}

/** Checks batch options and their nested `augment` and `normalize` objects. */
export function assertBatchOptions(options: BatchOptions, what: string): void {
  assertKnownOptions(options, BATCH_OPTION_KEYS, what);
  if (options !== null && typeof options === 'object') {
    assertKnownOptions(options.augment, AUGMENT_OPTION_KEYS, 'augment');
    assertKnownOptions(options.normalize, NORMALIZE_OPTION_KEYS, 'normalize');
  }
}

export { assertKnownOptions };
