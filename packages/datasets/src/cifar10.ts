import { existsSync } from 'node:fs';
import { readFile, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { hashFile, type Checksum } from './download/checksum.js';
import { downloadFile, type DownloadOptions } from './download/download.js';
import { extractTarGz, type ExpectedMember } from './download/extract.js';
import { DatasetFileError, DatasetNotFoundError } from './errors.js';
import { CIFAR_PIXELS, CIFAR_RECORD, CIFAR_SIDE, readCifarBatch } from './formats/cifar-binary.js';
import { applySubset, type ClassificationData, type ImageSet, type SourceKind, type SubsetOptions } from './classification/image-set.js';
import { resolveLogger, type LogOptions } from './log.js';
import { downloadsAllowedByEnv, resolveCacheDir, resolveDataDir, type LocationOptions } from './paths.js';

/** CIFAR-10's class names, index = label (the order of `batches.meta.txt`). */
export const CIFAR10_CLASSES: readonly string[] = [
  'airplane',
  'automobile',
  'bird',
  'cat',
  'deer',
  'dog',
  'frog',
  'horse',
  'ship',
  'truck',
];

/** Folder name inside the published archive (and in a data directory). */
export const CIFAR10_FOLDER = 'cifar-10-batches-bin';

/** A downloadable archive: where it is, its published checksum, and what it must contain. */
export interface RemoteArchive {
  /** URLs serving the same archive, tried in order. */
  urls: readonly string[];
  /** File name to store it under while it is being verified and extracted. */
  fileName: string;
  /** Published checksum of the archive. */
  checksum: Checksum;
  /** Top folder inside the archive. */
  topDir: string;
  /** Members checked after extraction (path relative to the archive root, exact size). */
  members: readonly ExpectedMember[];
}

const PUBLISHED_BATCH_BYTES = 10_000 * CIFAR_RECORD;

/**
 * The published CIFAR-10 binary archive (https://www.cs.toronto.edu/~kriz/cifar.html, "CIFAR-10 binary
 * version (suitable for C programs)", 162 MB) and the md5 sum published beside it.
 */
export const CIFAR10_ARCHIVE: RemoteArchive = {
  urls: ['https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz'],
  fileName: 'cifar-10-binary.tar.gz',
  checksum: { algorithm: 'md5', hex: 'c32a1d4ab5d03f1284b67883e8d87530' },
  topDir: CIFAR10_FOLDER,
  members: [
    ...[1, 2, 3, 4, 5].map((i) => ({ path: `${CIFAR10_FOLDER}/data_batch_${i}.bin`, size: PUBLISHED_BATCH_BYTES })),
    { path: `${CIFAR10_FOLDER}/test_batch.bin`, size: PUBLISHED_BATCH_BYTES },
    { path: `${CIFAR10_FOLDER}/batches.meta.txt` },
  ],
};

/** Sources CIFAR-10 can come from, in the order they are tried by default. */
export const CIFAR10_SOURCES: readonly SourceKind[] = ['dataDir', 'cache', 'download'];

/** Options of {@link loadCifar10}. */
export interface Cifar10Options extends LocationOptions, SubsetOptions, LogOptions {
  /** Sources to try, in order. Default `['dataDir', 'cache', 'download']`. */
  sources?: readonly SourceKind[];
  /** Allow downloading into the cache. Default: true unless `DB_OFFLINE` is set. */
  download?: boolean;
  /**
   * Where to download the archive from: a full URL of `cifar-10-binary.tar.gz`, or a base URL it sits under.
   * Default: `DB_CIFAR10_MIRROR` when set, else the publisher's URL. The archive must be the published one
   * (its md5 is checked).
   */
  mirror?: string;
  /** Advanced: a different archive description (tests use a small archive served locally). */
  archive?: RemoteArchive;
  /** Download tuning (retries, progress, timeouts). */
  downloadOptions?: Pick<DownloadOptions, 'retries' | 'retryDelayMs' | 'idleTimeoutMs' | 'progress'>;
}

/** The batch files a CIFAR-10 folder holds. */
export interface Cifar10Files {
  /** The folder. */
  dir: string;
  /** Training batch numbers present (1-5), ascending. */
  trainBatches: number[];
  /** Whether `test_batch.bin` is present. */
  hasTest: boolean;
}

/** Lists which CIFAR-10 batch files a folder holds (undefined when it holds none). */
export async function findCifar10Files(dir: string): Promise<Cifar10Files | undefined> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return undefined;
  }
  const trainBatches = [1, 2, 3, 4, 5].filter((i) => names.includes(`data_batch_${i}.bin`));
  const hasTest = names.includes('test_batch.bin');
  if (trainBatches.length === 0 && !hasTest) return undefined;
  return { dir, trainBatches, hasTest };
}

function concatSets(parts: { images: Uint8Array; labels: Uint8Array; count: number }[]): ImageSet {
  const count = parts.reduce((n, p) => n + p.count, 0);
  const images = new Uint8Array(count * CIFAR_PIXELS);
  const labels = new Uint8Array(count);
  let at = 0;
  for (const p of parts) {
    images.set(p.images, at * CIFAR_PIXELS);
    labels.set(p.labels, at);
    at += p.count;
  }
  return { images, labels, count, height: CIFAR_SIDE, width: CIFAR_SIDE, channels: 3 };
}

async function readClassNames(dir: string): Promise<string[]> {
  const meta = path.join(dir, 'batches.meta.txt');
  if (!existsSync(meta)) return [...CIFAR10_CLASSES];
  const names = (await readFile(meta, 'utf8')).split(/\r?\n/).map((s) => s.trim()).filter(Boolean);
  if (names.length !== 10) throw new DatasetFileError(meta, `lists ${names.length} class names, expected 10`);
  return names;
}

/** Reads a CIFAR-10 folder: whatever training batches it has (at least one) and the test batch. */
export async function readCifar10Folder(files: Cifar10Files): Promise<{ train: ImageSet; test: ImageSet; classNames: string[] }> {
  if (!files.hasTest) throw new DatasetFileError(files.dir, 'has CIFAR-10 training batches but no test_batch.bin');
  if (files.trainBatches.length === 0) throw new DatasetFileError(files.dir, 'has test_batch.bin but no data_batch_N.bin (N = 1..5)');
  const train = concatSets(
    await Promise.all(files.trainBatches.map((i) => readCifarBatch(path.join(files.dir, `data_batch_${i}.bin`)))),
  );
  const test = concatSets([await readCifarBatch(path.join(files.dir, 'test_batch.bin'))]);
  return { train, test, classNames: await readClassNames(files.dir) };
}

function archiveFromMirror(mirror: string): RemoteArchive {
  const url = /\.tar\.gz$/.test(mirror) ? mirror : `${mirror.endsWith('/') ? mirror : `${mirror}/`}${CIFAR10_ARCHIVE.fileName}`;
  return { ...CIFAR10_ARCHIVE, urls: [url] };
}

/**
 * Loads CIFAR-10 (Krizhevsky 2009): 32x32 RGB images in 10 classes, 50,000 training (5 batch files) and
 * 10,000 test images, as channels-last bytes. Sources, in order: the data directory (`cifar-10-batches-bin/`
 * in it, or the batch files directly in it; any subset of the five training batches is used and reported),
 * the cache, then the published `cifar-10-binary.tar.gz` downloaded, md5-verified and extracted into the cache.
 */
export async function loadCifar10(options: Cifar10Options = {}): Promise<ClassificationData> {
  const log = resolveLogger(options);
  const allowDownload = options.download ?? downloadsAllowedByEnv();
  const sources = (options.sources ?? CIFAR10_SOURCES).filter((s) => s !== 'download' || allowDownload);
  const cacheRoot = resolveCacheDir(options);
  const tried: string[] = [];
  let lastError: unknown;

  for (const source of sources) {
    let files: Cifar10Files | undefined;
    if (source === 'dataDir') {
      const dataDir = resolveDataDir(options);
      if (!dataDir) {
        tried.push('data directory: none set (dataDir option or DB_DATA_DIR)');
        continue;
      }
      files = (await findCifar10Files(path.join(dataDir, CIFAR10_FOLDER))) ?? (await findCifar10Files(dataDir));
      if (!files) tried.push(`data directory ${dataDir}: no ${CIFAR10_FOLDER}/ with batch files`);
    } else if (source === 'cache') {
      // The cache folder only ever appears complete: extraction renames it into place after checking it.
      files = await findCifar10Files(path.join(cacheRoot, CIFAR10_FOLDER));
      if (!files) tried.push(`cache ${path.join(cacheRoot, CIFAR10_FOLDER)}: empty`);
    } else if (source === 'download') {
      const mirror = options.mirror ?? (process.env.DB_CIFAR10_MIRROR || undefined);
      const archive = options.archive ?? (mirror ? archiveFromMirror(mirror) : CIFAR10_ARCHIVE);
      const archivePath = path.join(cacheRoot, archive.fileName);
      try {
        // A verified archive survives only if a previous run stopped between download and extraction: reuse it.
        const verified = existsSync(archivePath) && (await hashFile(archivePath, archive.checksum.algorithm)) === archive.checksum.hex;
        if (!verified) {
          await downloadFile({
            ...options.downloadOptions,
            urls: archive.urls,
            dest: archivePath,
            checksum: archive.checksum,
            label: archive.fileName,
          });
        }
        await extractTarGz(archivePath, cacheRoot, archive.topDir, archive.members);
        await rm(archivePath, { force: true });
        files = await findCifar10Files(path.join(cacheRoot, archive.topDir));
      } catch (err) {
        // A verified archive that fails to extract is removed too, so the next run downloads it afresh.
        await rm(archivePath, { force: true });
        lastError = err;
        tried.push(`download into ${cacheRoot}: ${(err as Error).message.split('\n').join(' ')}`);
      }
    } else {
      tried.push(`${source}: not a source of CIFAR-10`);
    }
    if (!files) continue;
    const { train, test, classNames } = await readCifar10Folder(files);
    const subset = applySubset(train, test, options);
    const batches = files.trainBatches.map((i) => `data_batch_${i}`).join(', ');
    const summary =
      `CIFAR-10: ${files.trainBatches.length} of 5 training batches (${batches}) = ` +
      `${train.count.toLocaleString('en-US')} training images + ${test.count.toLocaleString('en-US')} test images ` +
      `from ${source} (${files.dir})`;
    log(summary);
    return { name: 'cifar10', ...subset, classNames, source, location: files.dir, summary };
  }
  throw new DatasetNotFoundError('CIFAR-10', tried, { cause: lastError });
}
