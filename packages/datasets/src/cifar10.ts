import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { hashFile, type Checksum } from './download/checksum.js';
import { downloadFile, type DownloadOptions } from './download/download.js';
import { extractTarGz, missingMember, type ExpectedMember } from './download/extract.js';
import { withFileLock } from './download/lock.js';
import { DatasetFileError, DatasetNotFoundError, numberArgumentError } from './errors.js';
import { CIFAR_PIXELS, CIFAR_RECORD, CIFAR_SIDE, readCifarBatch } from './formats/cifar-binary.js';
import { applySubset, type ClassificationData, type ImageSet, type SourceKind, type SubsetOptions } from './classification/image-set.js';
import { resolveLogger, type LogOptions } from './log.js';
import { downloadsAllowedByEnv, explicitDataDirProblem, cacheDirOf, dataDirOf, type LocationOptions } from './paths.js';
import { CIFAR10_OPTION_KEYS, READ_CIFAR10_FOLDER_OPTION_KEYS, assertKnownOptions, assertLoaderOptions } from './option-keys.js';

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
  /** Published size of the archive in bytes: a download is stopped as soon as it runs past it. */
  size?: number;
  /** Top folder inside the archive. */
  topDir: string;
  /** Members checked after extraction (path relative to the archive root, exact size). */
  members: readonly ExpectedMember[];
}

/** Records in each published batch file (`data_batch_1.bin` .. `data_batch_5.bin`, `test_batch.bin`). */
const PUBLISHED_BATCH_RECORDS = 10_000;
const PUBLISHED_BATCH_BYTES = PUBLISHED_BATCH_RECORDS * CIFAR_RECORD;

/**
 * The published CIFAR-10 binary archive (https://www.cs.toronto.edu/~kriz/cifar.html, "CIFAR-10 binary
 * version (suitable for C programs)", 162 MB) and the md5 sum published beside it.
 */
export const CIFAR10_ARCHIVE: RemoteArchive = {
  urls: ['https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz'],
  fileName: 'cifar-10-binary.tar.gz',
  checksum: { algorithm: 'md5', hex: 'c32a1d4ab5d03f1284b67883e8d87530' },
  // The size TensorFlow's cifar10 tutorial reports on download ("Successfully downloaded ... 170052171 bytes").
  size: 170_052_171,
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
  /**
   * Records each batch file must hold. Default 10,000: every published batch file holds exactly that many, so a
   * file of any other size (e.g. one cut at a record boundary) is an error naming it. Advanced: set it only for
   * hand-made files in the CIFAR binary format (tests use small ones).
   */
  recordsPerBatch?: number;
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

/** Options of {@link readCifar10Folder}. */
export interface ReadCifar10FolderOptions {
  /** Records each batch file must hold; default 10,000, as published. See {@link Cifar10Options.recordsPerBatch}. */
  recordsPerBatch?: number;
}

/** Reads one batch file, which must hold exactly `records` records (a cut or padded file names itself). */
async function readBatchFile(file: string, records: number) {
  const { size } = await stat(file);
  if (size > 0 && size % CIFAR_RECORD === 0 && size !== records * CIFAR_RECORD) {
    const rule =
      records === PUBLISHED_BATCH_RECORDS
        ? `a published batch file holds exactly 10,000 (${PUBLISHED_BATCH_BYTES} bytes)`
        : `recordsPerBatch asks for exactly ${records} (${records * CIFAR_RECORD} bytes)`;
    throw new DatasetFileError(file, `holds ${size / CIFAR_RECORD} CIFAR-10 records (${size} bytes); ${rule}: truncated or not a CIFAR-10 batch`);
  }
  // Sizes that are no whole number of records are reported by the parser.
  return readCifarBatch(file);
}

/**
 * Reads a CIFAR-10 folder: whatever training batches it has (at least one) and the test batch, each of which must
 * hold exactly `recordsPerBatch` (default 10,000) records.
 */
export async function readCifar10Folder(
  files: Cifar10Files,
  options: ReadCifar10FolderOptions = {},
): Promise<{ train: ImageSet; test: ImageSet; classNames: string[] }> {
  assertKnownOptions(options, READ_CIFAR10_FOLDER_OPTION_KEYS, 'readCifar10Folder options');
  const records = options.recordsPerBatch ?? PUBLISHED_BATCH_RECORDS;
  if (!Number.isInteger(records) || records < 1) {
    throw numberArgumentError('recordsPerBatch', 'a positive integer', records);
  }
  if (!files.hasTest) throw new DatasetFileError(files.dir, 'has CIFAR-10 training batches but no test_batch.bin');
  if (files.trainBatches.length === 0) throw new DatasetFileError(files.dir, 'has test_batch.bin but no data_batch_N.bin (N = 1..5)');
  const train = concatSets(
    await Promise.all(files.trainBatches.map((i) => readBatchFile(path.join(files.dir, `data_batch_${i}.bin`), records))),
  );
  const test = concatSets([await readBatchFile(path.join(files.dir, 'test_batch.bin'), records)]);
  return { train, test, classNames: await readClassNames(files.dir) };
}

/**
 * Downloads, verifies and extracts `archive` into `cacheRoot`, holding a lock file there so that concurrent loads
 * (async calls or processes sharing the cache) share one download: the first downloads and extracts while the
 * others wait, then find the folder in place. The extracted folder is only ever renamed into place complete and is
 * never removed; the archive is used and removed only under the lock.
 * @returns the folder's files, and whether this call filled the cache (false: another loader did meanwhile).
 */
async function downloadIntoCache(
  archive: RemoteArchive,
  cacheRoot: string,
  options: Cifar10Options,
  log: (message: string) => void,
): Promise<{ files: Cifar10Files | undefined; downloaded: boolean }> {
  await mkdir(cacheRoot, { recursive: true });
  const lock = path.join(cacheRoot, `.${archive.topDir}.lock`);
  const onWait = ({ pid, host }: { pid: number; host: string }) =>
    log(`CIFAR-10: waiting for another loader (pid ${pid} on ${host}) filling the cache ${cacheRoot}`);
  return withFileLock(
    lock,
    async () => {
      const top = path.join(cacheRoot, archive.topDir);
      // Another loader may have filled the cache while this one waited for the lock.
      if ((await missingMember(cacheRoot, archive.members)) === undefined) {
        const files = await findCifar10Files(top);
        if (files) return { files, downloaded: false };
      }
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
            size: archive.size,
            label: archive.fileName,
          });
        }
        await extractTarGz(archivePath, cacheRoot, archive.topDir, archive.members);
      } finally {
        // Extracted, or failed to extract (then the next run downloads it afresh). Only the lock holder uses it.
        await rm(archivePath, { force: true });
      }
      return { files: await findCifar10Files(top), downloaded: true };
    },
    { onWait },
  );
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
  assertLoaderOptions(options, CIFAR10_OPTION_KEYS, 'loadCifar10 options');
  const log = resolveLogger(options);
  const allowDownload = options.download ?? downloadsAllowedByEnv();
  const sources = (options.sources ?? CIFAR10_SOURCES).filter((s) => s !== 'download' || allowDownload);
  const cacheRoot = cacheDirOf(options);
  const tried: string[] = [];
  let lastError: unknown;

  for (const source of sources) {
    let files: Cifar10Files | undefined;
    let from = source;
    if (source === 'dataDir') {
      const problem = explicitDataDirProblem(options);
      if (problem !== undefined) throw new DatasetNotFoundError('CIFAR-10', [problem]);
      const dataDir = dataDirOf(options);
      if (!dataDir) {
        tried.push('data directory: none set (dataDir option or DB_DATA_DIR)');
        continue;
      }
      files = (await findCifar10Files(path.join(dataDir, CIFAR10_FOLDER))) ?? (await findCifar10Files(dataDir));
      if (!files) tried.push(`data directory ${dataDir}: no ${CIFAR10_FOLDER}/ with batch files`);
    } else if (source === 'cache') {
      // The cache folder only ever appears complete (renamed into place after checking it) and is never replaced.
      files = await findCifar10Files(path.join(cacheRoot, CIFAR10_FOLDER));
      if (!files) tried.push(`cache ${path.join(cacheRoot, CIFAR10_FOLDER)}: empty`);
    } else if (source === 'download') {
      const mirror = options.mirror ?? (process.env.DB_CIFAR10_MIRROR || undefined);
      const archive = options.archive ?? (mirror ? archiveFromMirror(mirror) : CIFAR10_ARCHIVE);
      try {
        const result = await downloadIntoCache(archive, cacheRoot, options, log);
        files = result.files;
        if (!result.downloaded) from = 'cache';
      } catch (err) {
        lastError = err;
        tried.push(`download into ${cacheRoot}: ${(err as Error).message.split('\n').join(' ')}`);
      }
    } else {
      tried.push(`${source}: not a source of CIFAR-10`);
    }
    if (!files) continue;
    const { train, test, classNames } = await readCifar10Folder(files, { recordsPerBatch: options.recordsPerBatch });
    const subset = applySubset(train, test, { limit: options.limit, validation: options.validation });
    const batches = files.trainBatches.map((i) => `data_batch_${i}`).join(', ');
    const count = (n: number) => n.toLocaleString('en-US');
    // Counts of what is returned: after `limit` and the validation split.
    const validation = subset.validation ? ` + ${count(subset.validation.count)} validation images` : '';
    const summary =
      `CIFAR-10: ${files.trainBatches.length} of 5 training batches (${batches}) = ` +
      `${count(subset.train.count)} training images${validation} + ${count(subset.test.count)} test images ` +
      `from ${from} (${files.dir})`;
    log(summary);
    const read = [...files.trainBatches.map((i) => `data_batch_${i}.bin`), 'test_batch.bin', 'batches.meta.txt']
      .map((name) => path.join(files.dir, name))
      .filter((file) => existsSync(file));
    return { name: 'cifar10', ...subset, classNames, source: from, location: files.dir, files: read, summary };
  }
  throw new DatasetNotFoundError('CIFAR-10', tried, { cause: lastError });
}
