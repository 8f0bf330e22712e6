/**
 * Checks the evaluator's inputs and packs them into typed-array tables (one slot per record), so that the
 * evaluation itself allocates no object per box or per pair. Every error names the record: its array, its index
 * and, for annotations, its id.
 */
import type { CocoDetection, CocoEvalOptions, CocoEvalParams, CocoGroundTruth } from './types.js';

/** Ground-truth objects as columns; `image`/`category` are the indices of their ids in the id tables. */
export interface GroundTruthTable {
  count: number;
  /** `x, y, w, h` per object, interleaved (4 per object). */
  box: Float64Array;
  /** The annotation's `area` field (pycocotools' area ranges read it, not `w * h`). */
  area: Float64Array;
  /** 1 for `iscrowd`; pycocotools also uses it as the ignore flag (`gt['ignore'] = gt['iscrowd']`). */
  crowd: Uint8Array;
  /**
   * 1 where the annotation id is not 0. pycocotools records a match as the matched annotation's id and counts a
   * detection as a true positive where that id is non-zero, so a match to an object whose id is 0 is a false positive.
   */
  idNonZero: Uint8Array;
  /** Index into `imageIds`. */
  image: Int32Array;
  /** Index into `categoryIds`. */
  category: Int32Array;
  /** Ground-truth image ids, sorted ascending, unique. */
  imageIds: number[];
  /** Ground-truth category ids, sorted ascending, unique. */
  categoryIds: number[];
}

/** Detections as columns; `category` is -1 for a category the ground truth does not list. */
export interface DetectionTable {
  count: number;
  /** `x, y, w, h` per detection, interleaved. */
  box: Float64Array;
  score: Float64Array;
  image: Int32Array;
  category: Int32Array;
}

/** The evaluation parameters after validation (pycocotools' `Params` after `evaluate()`). */
export type ResolvedParams = CocoEvalParams;

/**
 * numpy's `linspace(start, stop, num)` value by value (`i * ((stop - start) / (num - 1)) + start`, the last one
 * set to `stop`), so that thresholds are the same doubles as pycocotools' `Params` and `iouThr == .75` finds its
 * index exactly as `np.where` does.
 */
export function linspace(start: number, stop: number, num: number): number[] {
  const step = (stop - start) / (num - 1);
  const out: number[] = [];
  for (let i = 0; i < num; i++) out.push(i * step + start);
  out[num - 1] = stop;
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(describe).join(', ')}]`;
  return String(value);
}

function finiteField(record: Record<string, unknown>, key: string, where: string): number {
  const value = record[key];
  if (value === undefined) throw new TypeError(`${where}: missing field '${key}'`);
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new TypeError(`${where}: '${key}' must be a finite number, got ${describe(value)}`);
  }
  return value;
}

function boxField(record: Record<string, unknown>, where: string, out: Float64Array, slot: number): void {
  const bbox = record.bbox;
  if (bbox === undefined) throw new TypeError(`${where}: missing field 'bbox'`);
  if (!Array.isArray(bbox) || bbox.length !== 4) {
    throw new TypeError(`${where}: 'bbox' must be [x, y, width, height], got ${describe(bbox)}`);
  }
  for (let j = 0; j < 4; j++) {
    const v: unknown = bbox[j];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new TypeError(`${where}: bbox[${j}] must be a finite number, got ${describe(bbox)}`);
    }
    if (j >= 2 && v < 0) throw new RangeError(`${where}: bbox width and height must be >= 0, got ${describe(bbox)}`);
    out[slot * 4 + j] = v;
  }
}

function idList(list: unknown, name: string): number[] {
  if (!Array.isArray(list)) throw new TypeError(`groundTruth.${name} must be an array, got ${describe(list)}`);
  const ids: number[] = [];
  list.forEach((entry: unknown, i) => {
    const where = `groundTruth.${name}[${i}]`;
    if (!isObject(entry)) throw new TypeError(`${where} must be an object, got ${describe(entry)}`);
    ids.push(finiteField(entry, 'id', where));
  });
  return ids;
}

/** Sorted, de-duplicated copy (numpy's `np.unique`). */
export function uniqueSorted(values: readonly number[]): number[] {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.filter((v, i) => i === 0 || v !== sorted[i - 1]);
}

function indexOf(ids: readonly number[]): Map<number, number> {
  const map = new Map<number, number>();
  ids.forEach((id, i) => map.set(id, i));
  return map;
}

/** Validates a COCO ground-truth object and packs its annotations. */
export function packGroundTruth(groundTruth: CocoGroundTruth): GroundTruthTable {
  if (!isObject(groundTruth)) throw new TypeError(`groundTruth must be a COCO instances object, got ${describe(groundTruth)}`);
  const imageIds = uniqueSorted(idList(groundTruth.images, 'images'));
  const categoryIds = uniqueSorted(idList(groundTruth.categories, 'categories'));
  const annotations: unknown = groundTruth.annotations;
  if (!Array.isArray(annotations)) throw new TypeError(`groundTruth.annotations must be an array, got ${describe(annotations)}`);
  const imageIndex = indexOf(imageIds);
  const categoryIndex = indexOf(categoryIds);
  const n = annotations.length;
  const table: GroundTruthTable = {
    count: n,
    box: new Float64Array(n * 4),
    area: new Float64Array(n),
    crowd: new Uint8Array(n),
    idNonZero: new Uint8Array(n),
    image: new Int32Array(n),
    category: new Int32Array(n),
    imageIds,
    categoryIds,
  };
  const seenIds = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const ann: unknown = annotations[i];
    let where = `groundTruth.annotations[${i}]`;
    if (!isObject(ann)) throw new TypeError(`${where} must be an object, got ${describe(ann)}`);
    const id = finiteField(ann, 'id', where);
    where += ` (id ${id})`;
    // pycocotools indexes annotations by id, so a repeated id silently evaluates the last one twice.
    const first = seenIds.get(id);
    if (first !== undefined) throw new RangeError(`${where}: id ${id} is also the id of groundTruth.annotations[${first}]`);
    seenIds.set(id, i);
    const imageId = finiteField(ann, 'image_id', where);
    const image = imageIndex.get(imageId);
    if (image === undefined) throw new RangeError(`${where}: image_id ${imageId} is not in groundTruth.images`);
    const categoryId = finiteField(ann, 'category_id', where);
    const category = categoryIndex.get(categoryId);
    if (category === undefined) throw new RangeError(`${where}: category_id ${categoryId} is not in groundTruth.categories`);
    boxField(ann, where, table.box, i);
    const area = finiteField(ann, 'area', where);
    if (area < 0) throw new RangeError(`${where}: 'area' must be >= 0, got ${area}`);
    const crowd = ann.iscrowd;
    if (crowd === undefined) throw new TypeError(`${where}: missing field 'iscrowd'`);
    if (crowd !== 0 && crowd !== 1 && crowd !== true && crowd !== false) {
      throw new TypeError(`${where}: 'iscrowd' must be 0 or 1, got ${describe(crowd)}`);
    }
    table.area[i] = area;
    table.crowd[i] = crowd === 1 || crowd === true ? 1 : 0;
    table.idNonZero[i] = id !== 0 ? 1 : 0;
    table.image[i] = image;
    table.category[i] = category;
  }
  return table;
}

/**
 * Validates COCO results and packs them. As pycocotools' `loadRes`, every detection must be on an image of the
 * ground truth; its area is `width * height` (any `area` field is replaced).
 */
export function packDetections(detections: readonly CocoDetection[], gt: GroundTruthTable): DetectionTable {
  if (!Array.isArray(detections)) throw new TypeError(`detections must be an array of COCO results, got ${describe(detections)}`);
  const imageIndex = indexOf(gt.imageIds);
  const categoryIndex = indexOf(gt.categoryIds);
  const n = detections.length;
  const table: DetectionTable = {
    count: n,
    box: new Float64Array(n * 4),
    score: new Float64Array(n),
    image: new Int32Array(n),
    category: new Int32Array(n),
  };
  for (let i = 0; i < n; i++) {
    const det: unknown = detections[i];
    const where = `detections[${i}]`;
    if (!isObject(det)) throw new TypeError(`${where} must be an object, got ${describe(det)}`);
    const imageId = finiteField(det, 'image_id', where);
    const image = imageIndex.get(imageId);
    if (image === undefined) throw new RangeError(`${where}: image_id ${imageId} is not an image of the ground truth`);
    const categoryId = finiteField(det, 'category_id', where);
    boxField(det, where, table.box, i);
    table.score[i] = finiteField(det, 'score', where);
    table.image[i] = image;
    table.category[i] = categoryIndex.get(categoryId) ?? -1;
  }
  return table;
}

function numberList(value: unknown, name: string, check: (v: number) => boolean, rule: string): number[] {
  if (!Array.isArray(value) || value.length === 0) throw new TypeError(`options.${name} must be a non-empty array, got ${describe(value)}`);
  for (const v of value) {
    if (typeof v !== 'number' || !check(v)) throw new RangeError(`options.${name} must hold ${rule}, got ${describe(value)}`);
  }
  return value as number[];
}

/** Validates the options against the ground truth and fills pycocotools' defaults. */
export function resolveParams(options: CocoEvalOptions, gt: GroundTruthTable): ResolvedParams {
  if (!isObject(options)) throw new TypeError(`options must be an object, got ${describe(options)}`);
  const known = new Set(gt.imageIds);
  const imgIds =
    options.imgIds === undefined
      ? gt.imageIds
      : uniqueSorted(numberList(options.imgIds, 'imgIds', (v) => known.has(v), 'ids of ground-truth images'));
  const knownCats = new Set(gt.categoryIds);
  const catIds =
    options.catIds === undefined
      ? gt.categoryIds
      : uniqueSorted(numberList(options.catIds, 'catIds', (v) => knownCats.has(v), 'ids of ground-truth categories'));
  if (options.useCats !== undefined && typeof options.useCats !== 'boolean') {
    throw new TypeError(`options.useCats must be a boolean, got ${describe(options.useCats)}`);
  }
  // evaluate() sorts maxDets; summarize() reads maxDets[0], [1] and [2].
  const maxDets =
    options.maxDets === undefined
      ? [1, 10, 100]
      : [...numberList(options.maxDets, 'maxDets', (v) => Number.isInteger(v) && v >= 1, 'positive integers')].sort((a, b) => a - b);
  if (maxDets.length < 3) throw new RangeError(`options.maxDets needs at least 3 values (summarize() reads three), got ${describe(options.maxDets)}`);
  const iouThrs =
    options.iouThrs === undefined
      ? linspace(0.5, 0.95, Math.round((0.95 - 0.5) / 0.05) + 1)
      : [...numberList(options.iouThrs, 'iouThrs', (v) => Number.isFinite(v) && v >= 0 && v <= 1, 'numbers in [0, 1]')];
  return {
    imgIds,
    catIds,
    useCats: options.useCats ?? true,
    iouThrs,
    recThrs: linspace(0, 1, Math.round((1 - 0) / 0.01) + 1),
    maxDets,
    // pycocotools' Params.areaRng: [0, 1e5^2], [0, 32^2], [32^2, 96^2], [96^2, 1e5^2], both ends inclusive.
    areaRng: [
      [0, 1e10],
      [0, 32 ** 2],
      [32 ** 2, 96 ** 2],
      [96 ** 2, 1e10],
    ],
    areaRngLbl: ['all', 'small', 'medium', 'large'],
  };
}
