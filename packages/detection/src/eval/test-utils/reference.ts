/**
 * Shared by the tests that compare evaluateCoco with pycocotools: the case layout written by
 * scripts/coco-reference.py, and an element-by-element comparison that reports the first difference.
 */
import { evaluateCoco } from '../coco-eval.js';
import type { CocoDetection, CocoEvalOptions, CocoGroundTruth } from '../types.js';

/** One case as scripts/coco-reference.py writes it. */
export interface ReferenceCase {
  name: string;
  groundTruth: CocoGroundTruth;
  detections: CocoDetection[];
  options: CocoEvalOptions;
  counts: number[];
  stats: number[];
  lines: string[];
  recall: number[];
  /** Full precision, C order [T, R, K, A, M] (live runs). */
  precision?: number[];
  /** Run-length encoded precision in [T, K, A, M, R] order, [value, count, ...] (committed fixture). */
  precisionRle?: number[];
}

/** The fixture / script output. */
export interface ReferenceFile {
  pycocotools: string;
  numpy: string;
  command: string;
  cases: ReferenceCase[];
}

/** The reference precision in C order [T, R, K, A, M], decoding the fixture's run-length form if needed. */
export function referencePrecision(c: ReferenceCase): number[] {
  if (c.precision) return c.precision;
  const [T, R, K, A, M] = c.counts;
  const flat: number[] = [];
  const rle = c.precisionRle ?? [];
  for (let i = 0; i < rle.length; i += 2) for (let n = 0; n < rle[i + 1]; n++) flat.push(rle[i]);
  const out = new Array<number>(flat.length);
  let src = 0;
  for (let t = 0; t < T; t++)
    for (let k = 0; k < K; k++)
      for (let a = 0; a < A; a++)
        for (let m = 0; m < M; m++)
          for (let r = 0; r < R; r++) out[(((t * R + r) * K + k) * A + a) * M + m] = flat[src++];
  return out;
}

/** The largest |ours - reference| over one array; throws if the lengths differ. */
function maxDiff(ours: ArrayLike<number>, ref: ArrayLike<number>, what: string): number {
  if (ours.length !== ref.length) throw new Error(`${what}: length ${ours.length}, pycocotools ${ref.length}`);
  let worst = 0;
  for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(ours[i] - ref[i]));
  return worst;
}

/** Evaluates one case and returns the largest differences and whether the printed lines agree. */
export function compareCase(c: ReferenceCase): { stats: number; precision: number; recall: number; linesEqual: boolean; values: number } {
  const result = evaluateCoco(c.groundTruth, c.detections, c.options);
  const precision = referencePrecision(c);
  if (result.counts.join() !== c.counts.join()) throw new Error(`${c.name}: counts ${result.counts} vs ${c.counts}`);
  return {
    stats: maxDiff(result.stats, c.stats, `${c.name} stats`),
    precision: maxDiff(result.precision, precision, `${c.name} precision`),
    recall: maxDiff(result.recall, c.recall, `${c.name} recall`),
    linesEqual: result.lines.join('\n') === c.lines.join('\n'),
    values: result.stats.length + result.precision.length + result.recall.length,
  };
}
