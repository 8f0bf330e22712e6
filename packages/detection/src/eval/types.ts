/**
 * Input and output shapes of the COCO evaluator, in the JSON layouts of the COCO format
 * (https://cocodataset.org/#format-data and #format-results), so that `JSON.parse` of an `instances_*.json` and
 * of a results file can be passed straight in.
 */

/** One ground-truth object as COCO's `instances_*.json` stores it. */
export interface CocoGroundTruthAnnotation {
  /** Annotation id; unique in the file. */
  id: number;
  /** The image it belongs to (must be listed in `images`). */
  image_id: number;
  /** Its category (must be listed in `categories`). */
  category_id: number;
  /** `[x, y, width, height]`, top-left corner, in pixels. */
  bbox: readonly number[];
  /**
   * Object area (of the segmentation mask, not of the box). pycocotools' area ranges (small/medium/large) use this
   * field, not `width * height`.
   */
  area: number;
  /** 1 (or `true`) for a crowd region: detections matching it are ignored, and its IoU uses the detection's area as the union. */
  iscrowd: number | boolean;
  /**
   * Accepted but, as in pycocotools' `COCOeval._prepare`, overwritten by `iscrowd`: a non-crowd object marked
   * `ignore` is still evaluated.
   */
  ignore?: number | boolean;
}

/** One image entry of the ground truth; only `id` is read. */
export interface CocoGroundTruthImage {
  /** Image id. */
  id: number;
}

/** One category entry of the ground truth; only `id` is read. */
export interface CocoGroundTruthCategory {
  /** Category id. */
  id: number;
}

/** A COCO ground-truth file (`instances_val2017.json` layout). Other fields are ignored. */
export interface CocoGroundTruth {
  /** The images evaluated (by default all of them). */
  images: readonly CocoGroundTruthImage[];
  /** The objects. */
  annotations: readonly CocoGroundTruthAnnotation[];
  /** The categories evaluated (by default all of them). */
  categories: readonly CocoGroundTruthCategory[];
}

/** One detection in COCO's results format. Other fields (`id`, `area`, `segmentation`) are ignored, as pycocotools' `loadRes` replaces them. */
export interface CocoDetection {
  /** The image (must be one of the ground truth's images). */
  image_id: number;
  /** The predicted category; detections of a category the ground truth does not list are never matched (pycocotools skips them). */
  category_id: number;
  /** `[x, y, width, height]`, top-left corner, in pixels; its area is `width * height`. */
  bbox: readonly number[];
  /** Confidence; higher first. */
  score: number;
}

/** Options of {@link evaluateCoco}, mirroring pycocotools' `COCOeval.params`. */
export interface CocoEvalOptions {
  /** Evaluate only these images (default: every image of the ground truth). Sorted and de-duplicated as pycocotools does. */
  imgIds?: readonly number[];
  /** Evaluate only these categories (default: every category of the ground truth). Sorted and de-duplicated. */
  catIds?: readonly number[];
  /** `false`: ignore categories, as in proposal scoring (pycocotools' `useCats = 0`). Default `true`. */
  useCats?: boolean;
  /** Detections kept per image (per category), at least three values, sorted ascending. Default `[1, 10, 100]`. */
  maxDets?: readonly number[];
  /** IoU thresholds. Default `.50:.05:.95` computed as `np.linspace(.5, .95, 10)`. */
  iouThrs?: readonly number[];
}

/** The evaluation parameters as pycocotools' `Params` holds them after `evaluate()`. */
export interface CocoEvalParams {
  /** Images evaluated, ascending. */
  imgIds: number[];
  /** Categories evaluated, ascending (the K axis when `useCats`). */
  catIds: number[];
  /** Whether detections must have the ground truth's category to match. */
  useCats: boolean;
  /** IoU thresholds (the T axis). */
  iouThrs: number[];
  /** Recall thresholds `np.linspace(0, 1, 101)` (the R axis). */
  recThrs: number[];
  /** Detections kept per image, ascending (the M axis). */
  maxDets: number[];
  /** Area ranges `[min, max]`, both inclusive, of the `area` field (the A axis). */
  areaRng: [number, number][];
  /** Their labels: all, small, medium, large. */
  areaRngLbl: string[];
}

/** What {@link evaluateCoco} returns. */
export interface CocoEvalResult {
  /**
   * The 12 numbers of pycocotools' `summarize()` in its order: AP@[.50:.95], AP@.50, AP@.75, AP small, AP medium,
   * AP large (all at maxDets 100, i.e. `maxDets[2]`); AR at `maxDets[0]`, `maxDets[1]`, `maxDets[2]`; AR small,
   * medium, large. -1 where nothing could be averaged (no category with ground truth in that setting).
   */
  stats: number[];
  /** The 12 lines pycocotools' `summarize()` prints, in its exact format. */
  lines: string[];
  /**
   * Precision, row-major `[T, R, K, A, M]` (numpy's C order): the value for IoU threshold t, recall threshold r,
   * category k, area range a, maxDets m is at `(((t * R + r) * K + k) * A + a) * M + m`. -1 where the category has
   * no (non-ignored) ground truth in that setting.
   */
  precision: Float64Array;
  /** Maximum recall, row-major `[T, K, A, M]`: index `((t * K + k) * A + a) * M + m`; -1 as for precision. */
  recall: Float64Array;
  /** The dimensions `[T, R, K, A, M]`. */
  counts: [number, number, number, number, number];
  /** The parameters used, after sorting and de-duplication (K follows `catIds`; with `useCats: false` K is 1). */
  params: CocoEvalParams;
}
