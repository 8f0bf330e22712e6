import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { DatasetFileError, DatasetNotFoundError, numberArgumentError } from '../errors.js';
import { resolveLogger, type LogOptions } from '../log.js';
import { resolveDataDir, type LocationOptions } from '../paths.js';

/** A COCO category with its contiguous label. */
export interface CocoCategory {
  /** Contiguous label, `0..categories-1`, in ascending COCO id order (COCO's 80 ids span 1..90 with gaps). */
  label: number;
  /** COCO's own `category_id`. */
  cocoId: number;
  /** Category name, e.g. `person`. */
  name: string;
  /** COCO's supercategory, e.g. `vehicle`. */
  supercategory: string;
}

/** One annotated object. */
export interface CocoObject {
  /** COCO annotation id. */
  id: number;
  /** Box as COCO stores it: `[x, y, width, height]` in pixels of the original image, (x, y) = top-left corner. */
  bbox: [number, number, number, number];
  /** Contiguous label (see {@link CocoCategory.label}). */
  label: number;
  /** COCO's `category_id`. */
  categoryId: number;
  /** COCO's `iscrowd`: the box covers a crowd of objects (evaluation ignores detections matching it). */
  iscrowd: boolean;
  /** COCO's `area` (of the segmentation mask, not the box). */
  area: number;
}

/** One image and its objects. */
export interface CocoImage {
  /** COCO image id. */
  id: number;
  /** File name as in the JSON. */
  fileName: string;
  /** Absolute path of the image file (checked to exist). */
  path: string;
  /** Width in pixels, per the JSON. */
  width: number;
  /** Height in pixels, per the JSON. */
  height: number;
  /** Its annotations, in JSON order. */
  objects: CocoObject[];
}

/** A loaded COCO split. */
export interface CocoDataset {
  /** Split name, e.g. `val2017`. */
  split: string;
  /** The annotation file read. */
  annotationFile: string;
  /** Folder of the images. */
  imageDir: string;
  /** Images in JSON order. */
  images: CocoImage[];
  /** Categories by contiguous label. */
  categories: CocoCategory[];
  /** Category names by contiguous label. */
  classNames: string[];
  /** COCO category id <-> contiguous label. */
  labelMap: CocoLabelMap;
  /** Total annotations (boxes), crowd ones included. */
  boxCount: number;
}

/** Options of {@link loadCoco}. */
export interface CocoOptions extends LocationOptions, LogOptions {
  /** Split, e.g. `train2017` or `val2017` (default). Reads `annotations/instances_<split>.json` and `<split>/`. */
  split?: string;
  /**
   * The COCO root folder (holding `annotations/` and `<split>/`). Default: the first of `<dataDir>`,
   * `<dataDir>/coco`, `<dataDir>/coco2017`, `<dataDir>/coco-2017`, `<dataDir>/coco-2017-subset` that has the
   * split's annotation file.
   */
  root?: string;
  /** Keep only the first N images (JSON order). Deterministic. */
  limit?: number;
}

/** Folders under a data directory that may hold a COCO layout. */
const ROOT_CANDIDATES = ['.', 'coco', 'coco2017', 'coco-2017', 'coco-2017-subset'];

/** Maps COCO category ids to contiguous labels and back. */
export class CocoLabelMap {
  private readonly toLabel = new Map<number, number>();

  /** @param categories categories by contiguous label */
  constructor(readonly categories: readonly CocoCategory[]) {
    categories.forEach((c) => this.toLabel.set(c.cocoId, c.label));
  }

  /** The contiguous label of a COCO `category_id`; throws for an unknown id. */
  cocoIdToLabel(cocoId: number): number {
    const label = this.toLabel.get(cocoId);
    if (label === undefined) throw new RangeError(`unknown COCO category id ${cocoId}`);
    return label;
  }

  /** The COCO `category_id` of a contiguous label; throws when out of range. */
  labelToCocoId(label: number): number {
    const c = this.categories[label];
    if (!c) throw new RangeError(`label ${label} is outside 0..${this.categories.length - 1}`);
    return c.cocoId;
  }
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Validates a parsed COCO instances JSON and builds the dataset. Everything the loader relies on is checked
 * and any problem throws a {@link DatasetFileError} naming `annotationFile` and the offending entry; nothing
 * is skipped. `imageFiles` is the set of file names present in `imageDir`.
 */
export function parseCocoInstances(
  json: unknown,
  annotationFile: string,
  imageDir: string,
  imageFiles: ReadonlySet<string>,
  split: string,
): CocoDataset {
  const fail = (problem: string): never => {
    throw new DatasetFileError(annotationFile, problem);
  };
  if (!isObject(json)) fail('is not a JSON object');
  const root = json as Json;
  for (const key of ['images', 'annotations', 'categories']) {
    if (!Array.isArray(root[key])) fail(`lacks the "${key}" array of the COCO instances format`);
  }
  const num = (o: Json, key: string, where: string, check: (n: number) => boolean = Number.isFinite): number => {
    const v = o[key];
    if (typeof v !== 'number' || !check(v)) fail(`${where} lacks a valid "${key}" (got ${JSON.stringify(v)})`);
    return v as number;
  };
  const str = (o: Json, key: string, where: string): string => {
    const v = o[key];
    if (typeof v !== 'string' || v === '') fail(`${where} lacks a valid "${key}" (got ${JSON.stringify(v)})`);
    return v as string;
  };

  const rawCats = (root.categories as unknown[]).map((c, i) => {
    if (!isObject(c)) return fail(`categories[${i}] is not an object`);
    return {
      cocoId: num(c, 'id', `categories[${i}]`, Number.isInteger),
      name: str(c, 'name', `categories[${i}]`),
      supercategory: typeof c.supercategory === 'string' ? c.supercategory : '',
    };
  });
  if (rawCats.length === 0) fail('has no categories');
  rawCats.sort((a, b) => a.cocoId - b.cocoId);
  const categories: CocoCategory[] = rawCats.map((c, label) => ({ label, ...c }));
  categories.forEach((c, i) => {
    if (i > 0 && categories[i - 1].cocoId === c.cocoId) fail(`categories repeat id ${c.cocoId}`);
  });
  const labels = new CocoLabelMap(categories);

  const byId = new Map<number, CocoImage>();
  const images = (root.images as unknown[]).map((im, i) => {
    if (!isObject(im)) return fail(`images[${i}] is not an object`);
    const where = `images[${i}]`;
    const id = num(im, 'id', where, Number.isInteger);
    const fileName = str(im, 'file_name', where);
    const width = num(im, 'width', where, (n) => Number.isInteger(n) && n > 0);
    const height = num(im, 'height', where, (n) => Number.isInteger(n) && n > 0);
    if (byId.has(id)) fail(`${where} repeats image id ${id}`);
    const file = path.join(imageDir, fileName);
    if (!imageFiles.has(fileName)) fail(`${where} (id ${id}) points at a missing image: ${file}`);
    const image: CocoImage = { id, fileName, path: file, width, height, objects: [] };
    byId.set(id, image);
    return image;
  });

  const annotations = root.annotations as unknown[];
  annotations.forEach((a, i) => {
    if (!isObject(a)) return fail(`annotations[${i}] is not an object`);
    const where = `annotations[${i}]${typeof a.id === 'number' ? ` (id ${a.id})` : ''}`;
    const id = num(a, 'id', where, Number.isInteger);
    const imageId = num(a, 'image_id', where, Number.isInteger);
    const categoryId = num(a, 'category_id', where, Number.isInteger);
    const area = num(a, 'area', where);
    const iscrowd = num(a, 'iscrowd', where, (n) => n === 0 || n === 1);
    const bbox = a.bbox;
    if (!Array.isArray(bbox) || bbox.length !== 4 || !bbox.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      fail(`${where} lacks a valid "bbox" [x, y, width, height] (got ${JSON.stringify(bbox)})`);
    }
    const [x, y, w, h] = bbox as number[];
    if (w < 0 || h < 0) fail(`${where} has a negative box size ${JSON.stringify(bbox)}`);
    const image = byId.get(imageId);
    if (!image) return fail(`${where} refers to image_id ${imageId}, which is not in "images"`);
    let label: number;
    try {
      label = labels.cocoIdToLabel(categoryId);
    } catch {
      return fail(`${where} has category_id ${categoryId}, which is not in "categories"`);
    }
    image.objects.push({ id, bbox: [x, y, w, h], label, categoryId, iscrowd: iscrowd === 1, area });
  });

  return {
    split,
    annotationFile,
    imageDir,
    images,
    categories,
    classNames: categories.map((c) => c.name),
    labelMap: labels,
    boxCount: annotations.length,
  };
}

/** Finds the COCO root for a split: the `root` option, else a folder under the data directory. */
function findRoot(options: CocoOptions, split: string): { root: string; tried: string[] } | { root: undefined; tried: string[] } {
  const rel = path.join('annotations', `instances_${split}.json`);
  if (options.root) return { root: path.resolve(options.root), tried: [] };
  const dataDir = resolveDataDir(options);
  if (!dataDir) return { root: undefined, tried: ['data directory: none set (root or dataDir option, or DB_DATA_DIR)'] };
  for (const c of ROOT_CANDIDATES) {
    const root = path.join(dataDir, c);
    if (existsSync(path.join(root, rel))) return { root, tried: [] };
  }
  return {
    root: undefined,
    tried: [`data directory ${dataDir}: no ${rel} in ${ROOT_CANDIDATES.map((c) => (c === '.' ? '.' : `${c}/`)).join(', ')}`],
  };
}

/**
 * Loads a COCO instances split (Lin et al. 2014, https://cocodataset.org/#format-data) from the publisher's
 * layout, `<root>/annotations/instances_<split>.json` and `<root>/<split>/*.jpg`. Checks the JSON and that every
 * image it lists exists. loadCoco itself does not download (the 2017 images alone are 19 GB): point `dataDir` or
 * `root` at a copy, or let `downloadCocoSubset` fetch the first N images of a split and pass its `root`.
 */
export async function loadCoco(options: CocoOptions = {}): Promise<CocoDataset> {
  const split = options.split ?? 'val2017';
  const log = resolveLogger(options);
  const found = findRoot(options, split);
  if (!found.root) throw new DatasetNotFoundError(`COCO ${split}`, found.tried);
  const annotationFile = path.join(found.root, 'annotations', `instances_${split}.json`);
  const imageDir = path.join(found.root, split);
  let text: string;
  try {
    text = await readFile(annotationFile, 'utf8');
  } catch (err) {
    throw new DatasetFileError(annotationFile, `cannot be read (${(err as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new DatasetFileError(annotationFile, `is not valid JSON (${(err as Error).message})`);
  }
  let files: Set<string>;
  try {
    files = new Set(await readdir(imageDir));
  } catch {
    throw new DatasetFileError(annotationFile, `its image folder ${imageDir} does not exist`);
  }
  const dataset = parseCocoInstances(json, annotationFile, imageDir, files, split);
  if (options.limit !== undefined) {
    if (!Number.isInteger(options.limit) || options.limit < 0) throw numberArgumentError('limit', 'a non-negative integer', options.limit);
    dataset.images = dataset.images.slice(0, options.limit);
    dataset.boxCount = dataset.images.reduce((n, im) => n + im.objects.length, 0);
  }
  log(
    `COCO ${split}: ${dataset.images.length.toLocaleString('en-US')} images, ${dataset.boxCount.toLocaleString('en-US')} boxes, ` +
      `${dataset.categories.length} categories from ${found.root}`,
  );
  return dataset;
}
