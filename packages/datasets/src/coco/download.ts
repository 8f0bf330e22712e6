/**
 * Downloads the part of COCO-2017 a run needs: the official annotation archive and only the images it uses.
 *
 * COCO publishes its images one by one (`http://images.cocodataset.org/<split>/<12-digit id>.jpg`) beside the
 * 19 GB split archives, so a run that trains on the first 500 train2017 images and validates on the first 158
 * val2017 images fetches those ~660 JPEGs (~100 MB) and the annotations (`annotations_trainval2017.zip`, 241 MB),
 * not the splits. The result is a COCO root in the publisher's layout that {@link loadCoco} reads:
 * `annotations/instances_<split>.json` (the official file cut to the selected images, in the official order, with
 * their annotations and all 80 categories) and `<split>/<file_name>`, so `loadCoco({ root, split, limit: N })`
 * returns exactly the first N images of the official split.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ByteBudget, downloadResumable } from '../download/resumable.js';
import { withFileLock } from '../download/lock.js';
import { readZipEntries, readZipMember } from '../download/zip.js';
import { DatasetFileError, DatasetNotFoundError, numberArgumentError } from '../errors.js';
import { resolveLogger, type LogOptions } from '../log.js';
import { COCO_DOWNLOAD_OPTION_KEYS, COCO_DOWNLOAD_RETRY_KEYS, assertKnownOptions } from '../option-keys.js';
import { cacheDirOf, downloadsAllowedByEnv, type LocationOptions } from '../paths.js';
import { decodeJpeg, type JpegDecoder } from './decode.js';
import { TopLevelJsonScanner } from './json-scan.js';

/** COCO-2017's splits with public annotations. */
export type Coco2017Split = 'train2017' | 'val2017';

/** Where COCO-2017 is published (https://cocodataset.org/#download). */
export const COCO2017_REMOTE = {
  /** Serves `annotations/annotations_trainval2017.zip` and `<split>/<file_name>`. */
  baseUrl: 'http://images.cocodataset.org',
  /** The annotation archive, relative to the base URL (241 MB; holds `annotations/instances_<split>.json`). */
  annotationsPath: 'annotations/annotations_trainval2017.zip',
  splits: ['train2017', 'val2017'] as readonly Coco2017Split[],
} as const;

/** Folder of the downloaded subset under the cache directory. */
export const COCO_SUBSET_FOLDER = 'coco-2017';

/** Default {@link CocoDownloadOptions.maxBytes}: 512 MiB, the 241 MiB archive and ~1,500 images of ~160 KB. */
export const COCO_DEFAULT_MAX_BYTES = 512 * 1024 * 1024;

/** Options of {@link downloadCocoSubset}. */
export interface CocoDownloadOptions extends Pick<LocationOptions, 'cacheDir'>, LogOptions {
  /**
   * How many images of each split: the first N of the split in the official annotation file's order (what
   * `loadCoco`'s `limit` then selects). At least one split. A count past the split's size takes the whole split.
   */
  images: Partial<Record<Coco2017Split, number>>;
  /**
   * The most bytes this call may download (the annotation archive plus images; what is already in the cache does
   * not count). Default {@link COCO_DEFAULT_MAX_BYTES} (512 MiB). Going past it stops with a 'too-large'
   * DownloadError; what was verified stays cached, so a call with a larger cap resumes.
   */
  maxBytes?: number;
  /**
   * A base URL laid out as images.cocodataset.org (`annotations/annotations_trainval2017.zip`,
   * `<split>/<file_name>`). Default: `DB_COCO_MIRROR`, else `http://images.cocodataset.org`.
   */
  mirror?: string;
  /** Allow network access. Default: true unless `DB_OFFLINE` is set. Offline, only the cache is used. */
  download?: boolean;
  /** JPEG decoder used to verify each image. Default `auto`. */
  decoder?: JpegDecoder;
  /** Retries and timeouts of each file's download. */
  downloadOptions?: { retries?: number; retryDelayMs?: number; idleTimeoutMs?: number };
}

/** What {@link downloadCocoSubset} made available. */
export interface CocoDownloadReport {
  /** The COCO root to read: `loadCoco({ root, split, limit })`. */
  root: string;
  /** Per split asked for: images available (the first N), their boxes, and how many images this call downloaded. */
  splits: Array<{ split: Coco2017Split; images: number; boxes: number; downloadedImages: number }>;
  /** Bytes this call downloaded (0 when the cache had everything). */
  bytes: number;
}

/** What the cache records about each split's subset (`.downloads/subset.json`). */
interface Manifest {
  splits: Partial<Record<Coco2017Split, { firstImages: number; splitImages: number }>>;
}

type Json = Record<string, unknown>;

/** The parts of one split's official annotation file that a subset keeps. */
interface SplitSelection {
  info: unknown;
  licenses: unknown;
  categories: unknown;
  images: Json[];
  annotations: Json[];
  splitImages: number;
}

function offlineHow(split: string, url: string): string {
  return (
    `Without network access, download ${url} and the images elsewhere, or point loadCoco's root / dataDir ` +
    `(bench: --data-dir) at a local copy: a folder with annotations/instances_${split}.json and ${split}/; ` +
    'or set DB_COCO_MIRROR to a mirror laid out as images.cocodataset.org.'
  );
}

/** The image id in an annotation element's raw bytes, without parsing it (COCO annotations have one image_id). */
function rawImageId(raw: Buffer): number | undefined {
  const at = raw.indexOf('"image_id"');
  if (at < 0) return undefined;
  let i = at + 10;
  while (i < raw.length && (raw[i] === 0x20 || raw[i] === 0x3a || raw[i] === 0x0a || raw[i] === 0x0d || raw[i] === 0x09)) i++;
  let id = 0;
  let digits = 0;
  for (; i < raw.length && raw[i] >= 0x30 && raw[i] <= 0x39; i++, digits++) id = id * 10 + (raw[i] - 0x30);
  return digits > 0 ? id : undefined;
}

/**
 * Reads the first `count` images of `member` (an instances JSON inside the archive) and their annotations, streaming:
 * nothing but the kept entries is parsed. Annotations listed before the images (not COCO's order) take a second pass.
 */
async function selectFromArchive(zip: string, member: string, count: number): Promise<SplitSelection> {
  const selection: SplitSelection = { info: undefined, licenses: undefined, categories: undefined, images: [], annotations: [], splitImages: 0 };
  const ids = new Set<number>();
  let imagesDone = false;
  let annotationsEarly = false;
  const parse = (raw: Buffer, what: string): Json => {
    try {
      return JSON.parse(raw.toString('utf8')) as Json;
    } catch (err) {
      throw new Error(`COCO ${member}: ${what} is not valid JSON (${(err as Error).message})`);
    }
  };
  const scan = (collectAnnotations: boolean) => {
    const scanner = new TopLevelJsonScanner({
      values: new Set(collectAnnotations ? [] : ['info', 'licenses', 'categories']),
      elements: new Set(collectAnnotations ? ['annotations'] : ['images', 'annotations']),
      onValue: (key, raw) => {
        (selection as unknown as Json)[key] = parse(raw, `"${key}"`);
      },
      onArrayEnd: (key) => {
        if (key === 'images') imagesDone = true;
      },
      onElement: (key, raw) => {
        if (key === 'images') {
          selection.splitImages++;
          if (selection.images.length < count) {
            const image = parse(raw, `images[${selection.splitImages - 1}]`);
            selection.images.push(image);
            ids.add(image.id as number);
          }
        } else if (!collectAnnotations && !imagesDone) {
          annotationsEarly = true;
        } else {
          const id = rawImageId(raw);
          if (id !== undefined && ids.has(id)) {
            const annotation = parse(raw, 'an annotation');
            if (annotation.image_id === id) selection.annotations.push(annotation);
          }
        }
      },
    });
    return scanner;
  };
  const first = scan(false);
  await readZipMember(zip, member, (chunk) => first.write(chunk));
  first.end();
  if (annotationsEarly) {
    const second = scan(true);
    await readZipMember(zip, member, (chunk) => second.write(chunk));
    second.end();
  }
  if (!Array.isArray(selection.categories)) throw new DatasetFileError(`${zip}:${member}`, 'lacks the "categories" array');
  return selection;
}

function checkFileName(name: unknown, split: string, where: string): string {
  if (typeof name !== 'string' || name === '' || name !== path.basename(name) || name === '.' || name === '..') {
    throw new DatasetFileError(where, `an image of ${split} has an unusable file_name ${JSON.stringify(name)}`);
  }
  return name;
}

async function readManifest(file: string): Promise<Manifest> {
  try {
    const m = JSON.parse(await readFile(file, 'utf8')) as Manifest;
    return m && typeof m.splits === 'object' ? m : { splits: {} };
  } catch {
    return { splits: {} };
  }
}

async function writeAtomically(file: string, text: string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, text);
  await rename(tmp, file);
}

/** The images a split's cached subset JSON lists (empty when it has none). */
async function cachedSubset(annotationFile: string): Promise<Json[]> {
  try {
    const json = JSON.parse(await readFile(annotationFile, 'utf8')) as { images?: Json[] };
    return Array.isArray(json.images) ? json.images : [];
  } catch {
    return [];
  }
}

/**
 * Makes the first N images of COCO-2017 train2017 / val2017 (official annotation order) available in the cache,
 * downloading with internet what is missing: the official annotation archive (`annotations_trainval2017.zip`, kept
 * in the cache so that a later call asking for more images does not fetch it again) and only the needed images.
 * Every download resumes after an interruption (`.partial` files and HTTP Range; a partial file is never taken as
 * complete) and is renamed into place only once verified: the archive by its members' CRC-32s, each image by
 * decoding it as a JPEG whose size matches the annotations. `maxBytes` (default 512 MiB) caps what one call
 * downloads. Concurrent calls sharing the cache wait for one another (a lock file).
 *
 * Offline (`download: false` or `DB_OFFLINE`), a cache that lacks images is a {@link DatasetNotFoundError}; a
 * host that cannot be reached is a DownloadError of kind 'network'. Both name the URL and how to use a local copy.
 *
 * @returns the COCO root to pass to `loadCoco({ root, split, limit })`.
 */
export async function downloadCocoSubset(options: CocoDownloadOptions): Promise<CocoDownloadReport> {
  assertKnownOptions(options, COCO_DOWNLOAD_OPTION_KEYS, 'downloadCocoSubset options');
  if (options?.downloadOptions !== undefined) assertKnownOptions(options.downloadOptions, COCO_DOWNLOAD_RETRY_KEYS, 'downloadCocoSubset downloadOptions');
  const log = resolveLogger(options);
  const requests = Object.entries(options.images ?? {}) as Array<[Coco2017Split, number]>;
  if (requests.length === 0) throw new TypeError('downloadCocoSubset: images must ask for at least one split, e.g. { val2017: 40 }');
  for (const [split, count] of requests) {
    if (!COCO2017_REMOTE.splits.includes(split)) {
      throw new RangeError(`downloadCocoSubset: unknown split '${split}'; COCO-2017's annotated splits are train2017 and val2017`);
    }
    if (!Number.isInteger(count) || count < 1) throw numberArgumentError(`downloadCocoSubset: images.${split}`, 'a positive integer', count);
  }
  const maxBytes = options.maxBytes ?? COCO_DEFAULT_MAX_BYTES;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) throw numberArgumentError('downloadCocoSubset: maxBytes', 'a positive integer', maxBytes);
  const allowDownload = options.download ?? downloadsAllowedByEnv();
  const base = (options.mirror ?? (process.env.DB_COCO_MIRROR || COCO2017_REMOTE.baseUrl)).replace(/\/+$/, '');
  const cacheRoot = cacheDirOf(options);
  const root = path.join(cacheRoot, COCO_SUBSET_FOLDER);
  const downloads = path.join(root, '.downloads');
  const zipUrl = `${base}/${COCO2017_REMOTE.annotationsPath}`;
  const zipPath = path.join(downloads, path.basename(COCO2017_REMOTE.annotationsPath));
  const manifestPath = path.join(downloads, 'subset.json');
  const budget = new ByteBudget(maxBytes);
  const budgetName = `maxBytes (${maxBytes} bytes; pass a larger maxBytes to download more)`;
  const transfer = options.downloadOptions ?? {};

  await mkdir(downloads, { recursive: true });
  return withFileLock(path.join(cacheRoot, `.${COCO_SUBSET_FOLDER}.lock`), async () => {
    const manifest = await readManifest(manifestPath);
    const report: CocoDownloadReport = { root, splits: [], bytes: 0 };
    for (const [split, count] of requests) {
      const annotationFile = path.join(root, 'annotations', `instances_${split}.json`);
      const imageDir = path.join(root, split);
      const known = manifest.splits[split];
      const cached = await cachedSubset(annotationFile);
      const covered = known !== undefined && (known.firstImages >= count || known.firstImages === known.splitImages);
      const want = covered ? Math.min(count, known!.splitImages) : count;
      if (covered && cached.length >= want && cached.slice(0, want).every((im) => existsSync(path.join(imageDir, String(im.file_name))))) {
        const boxes = await countBoxes(annotationFile, cached.slice(0, want));
        report.splits.push({ split, images: want, boxes, downloadedImages: 0 });
        log(`COCO ${split}: the first ${want} images are in the cache ${root}`);
        continue;
      }
      if (!allowDownload) {
        throw new DatasetNotFoundError(`COCO ${split} (first ${count} images)`, [
          `cache ${root}: ${covered ? 'some images are missing' : `holds ${known?.firstImages ?? 0} of the first ${count} images`}`,
          `download: disabled (download: false or DB_OFFLINE). ${offlineHow(split, zipUrl)}`,
        ]);
      }
      // The official annotations: the archive, downloaded once and kept.
      if (!existsSync(zipPath)) {
        log(`COCO: downloading the annotations ${zipUrl} (241 MB)`);
        report.bytes += await downloadResumable({
          ...transfer,
          url: zipUrl,
          dest: zipPath,
          budget,
          budgetName,
          offlineHint: offlineHow(split, zipUrl),
          // The central directory must parse and list the split's file; the members' CRC-32s are checked as read.
          verify: async (file) => {
            const names = (await readZipEntries(file)).map((e) => e.name);
            if (!names.includes(`annotations/instances_${split}.json`)) {
              throw new DatasetFileError(file, `is not COCO's annotation archive: no annotations/instances_${split}.json`);
            }
          },
        });
      }
      let selection: SplitSelection;
      try {
        selection = await selectFromArchive(zipPath, `annotations/instances_${split}.json`, count);
      } catch (err) {
        // A corrupt archive must not stay in the cache as if it were good.
        if (err instanceof DatasetFileError) await rm(zipPath, { force: true });
        throw err;
      }
      const fileNames = selection.images.map((im, i) => checkFileName(im.file_name, split, `${zipPath}:images[${i}]`));
      await mkdir(imageDir, { recursive: true });
      const missing = selection.images.filter((_, i) => !existsSync(path.join(imageDir, fileNames[i])));
      log(`COCO ${split}: ${selection.images.length - missing.length} of the first ${selection.images.length} images cached; downloading ${missing.length} from ${base}/${split}/`);
      for (const image of missing) {
        const name = String(image.file_name);
        const url = `${base}/${split}/${name}`;
        report.bytes += await downloadResumable({
          ...transfer,
          url,
          dest: path.join(imageDir, name),
          budget,
          budgetName,
          offlineHint: offlineHow(split, url),
          verify: async (file) => {
            const decoded = await decodeJpeg(await readFile(file), `${url} (image id ${image.id})`, options.decoder ?? 'auto');
            if (decoded.width !== image.width || decoded.height !== image.height) {
              throw new DatasetFileError(
                `${url} (image id ${image.id})`,
                `decodes to ${decoded.width}x${decoded.height}, the annotations say ${image.width}x${image.height}`,
              );
            }
          },
        });
      }
      // Written only once every image it lists is in place, so loadCoco never sees a listed image missing.
      await mkdir(path.dirname(annotationFile), { recursive: true });
      const subset = {
        info: selection.info,
        licenses: selection.licenses,
        images: selection.images,
        annotations: selection.annotations,
        categories: selection.categories,
      };
      await writeAtomically(annotationFile, JSON.stringify(subset));
      manifest.splits[split] = { firstImages: selection.images.length, splitImages: selection.splitImages };
      await writeAtomically(manifestPath, JSON.stringify(manifest, null, 2));
      report.splits.push({ split, images: selection.images.length, boxes: selection.annotations.length, downloadedImages: missing.length });
      log(`COCO ${split}: ${selection.images.length} images, ${selection.annotations.length} boxes in ${root}`);
    }
    return report;
  });
}

/** Boxes of the given (cached) images, from the cached subset JSON. */
async function countBoxes(annotationFile: string, images: Json[]): Promise<number> {
  const ids = new Set(images.map((im) => im.id));
  const json = JSON.parse(await readFile(annotationFile, 'utf8')) as { annotations?: Json[] };
  return (json.annotations ?? []).filter((a) => ids.has(a.image_id)).length;
}
