/**
 * pycocotools' `COCOeval.summarize()` for boxes: the 12 averages and the 12 lines it prints.
 */
import type { Accumulated } from './accumulate.js';
import type { ResolvedParams } from './validate.js';

/** One `_summarize(ap, iouThr, areaRng, maxDets)` call of pycocotools' `_summarizeDets`. */
interface StatSpec {
  ap: boolean;
  iouThr?: number;
  area: string;
  maxDets: number;
}

function statSpecs(maxDets: readonly number[]): StatSpec[] {
  // Order and arguments of pycocotools' _summarizeDets; note stats[0] asks for maxDets=100 literally.
  return [
    { ap: true, area: 'all', maxDets: 100 },
    { ap: true, iouThr: 0.5, area: 'all', maxDets: maxDets[2] },
    { ap: true, iouThr: 0.75, area: 'all', maxDets: maxDets[2] },
    { ap: true, area: 'small', maxDets: maxDets[2] },
    { ap: true, area: 'medium', maxDets: maxDets[2] },
    { ap: true, area: 'large', maxDets: maxDets[2] },
    { ap: false, area: 'all', maxDets: maxDets[0] },
    { ap: false, area: 'all', maxDets: maxDets[1] },
    { ap: false, area: 'all', maxDets: maxDets[2] },
    { ap: false, area: 'small', maxDets: maxDets[2] },
    { ap: false, area: 'medium', maxDets: maxDets[2] },
    { ap: false, area: 'large', maxDets: maxDets[2] },
  ];
}

function indicesWhere<T>(values: readonly T[], wanted: T): number[] {
  const out: number[] = [];
  values.forEach((v, i) => {
    if (v === wanted) out.push(i);
  });
  return out;
}

/** numpy's pairwise summation (`pairwise_sum` in loops_utils.h: 8 accumulators, blocks of 128, halves above). */
function pairwiseSum(a: Float64Array, start: number, n: number): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += a[start + i];
    return res;
  }
  if (n <= 128) {
    const r = [a[start], a[start + 1], a[start + 2], a[start + 3], a[start + 4], a[start + 5], a[start + 6], a[start + 7]];
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j] += a[start + i + j];
    let res = r[0] + r[1] + (r[2] + r[3]) + (r[4] + r[5] + (r[6] + r[7]));
    for (; i < n; i++) res += a[start + i];
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, start, n2) + pairwiseSum(a, start + n2, n - n2);
}

/**
 * `np.mean` of a 1-D float64 array as numpy computes it (`np.add.reduce` from 0 over buffers of 8192 elements,
 * each summed pairwise, then divided by n), so that the mean is the same double and prints the same 3 decimals.
 */
function numpyMean(values: Float64Array, n: number): number {
  let sum = 0;
  for (let start = 0; start < n; start += 8192) sum += pairwiseSum(values, start, Math.min(8192, n - start));
  return sum / n;
}

/**
 * The mean of the entries > -1 of the selected sub-array (pycocotools' `np.mean(s[s > -1])`), or -1 if none.
 * Entries are taken in numpy's C order of `s` (precision `[T, R, K, A, M]`, recall `[T, K, A, M]`) and summed as
 * numpy sums. A threshold, area label or maxDets value that the parameters lack selects nothing, as `np.where` does.
 */
function average(acc: Accumulated, p: ResolvedParams, spec: StatSpec): number {
  const T = p.iouThrs.length;
  const R = p.recThrs.length;
  const K = p.useCats ? p.catIds.length : 1;
  const A = p.areaRng.length;
  const M = p.maxDets.length;
  const ts = spec.iouThr === undefined ? p.iouThrs.map((_, t) => t) : indicesWhere(p.iouThrs, spec.iouThr);
  const as = indicesWhere(p.areaRngLbl, spec.area);
  const ms = indicesWhere(p.maxDets, spec.maxDets);
  // pycocotools indexes s[:, :, :, aind, mind]: two index lists side by side broadcast into one axis, so a
  // duplicated maxDets value pairs element-wise with the single area index.
  const pairs: [number, number][] = [];
  if (as.length === 1 || ms.length === 1 || as.length === ms.length) {
    const len = Math.max(as.length, ms.length);
    if (as.length > 0 && ms.length > 0) for (let j = 0; j < len; j++) pairs.push([as[as.length === 1 ? 0 : j], ms[ms.length === 1 ? 0 : j]]);
  }
  const picked = new Float64Array(ts.length * (spec.ap ? R : 1) * K * pairs.length);
  let n = 0;
  for (const t of ts) {
    for (let r = 0; r < (spec.ap ? R : 1); r++) {
      for (let k = 0; k < K; k++) {
        for (const [a, m] of pairs) {
          const v = spec.ap ? acc.precision[(((t * R + r) * K + k) * A + a) * M + m] : acc.recall[((t * K + k) * A + a) * M + m];
          if (v > -1) picked[n++] = v;
        }
      }
    }
  }
  return n === 0 ? -1 : numpyMean(picked, n);
}

/**
 * Python's `format(x, '.Nf')`: the exact binary value rounded to N decimals, ties to even. JavaScript's
 * `toFixed` breaks exact ties upwards (0.0625 -> "0.063" where Python prints "0.062"); exact ties are the only
 * cases where the two differ.
 */
export function formatFixed(x: number, digits: number): string {
  const fixed = x.toFixed(digits);
  // toFixed(digits + 30) is exact enough to see whether x lies exactly halfway.
  const long = Math.abs(x).toFixed(digits + 30);
  const tail = long.slice(long.indexOf('.') + 1 + digits);
  if (!/^50*$/.test(tail)) return fixed;
  const lastDigit = Number(fixed[fixed.length - 1]);
  if (lastDigit % 2 === 0) return fixed;
  // toFixed rounded away from zero to an odd digit: step back to the even neighbour.
  const down = Math.abs(x) - 0.5 * 10 ** -digits;
  return (x < 0 ? '-' : '') + down.toFixed(digits);
}

function summaryLine(spec: StatSpec, p: ResolvedParams, value: number): string {
  const title = (spec.ap ? 'Average Precision' : 'Average Recall').padEnd(18);
  const type = spec.ap ? '(AP)' : '(AR)';
  const iou =
    spec.iouThr === undefined
      ? `${formatFixed(p.iouThrs[0], 2)}:${formatFixed(p.iouThrs[p.iouThrs.length - 1], 2)}`
      : formatFixed(spec.iouThr, 2);
  return ` ${title} ${type} @[ IoU=${iou.padEnd(9)} | area=${spec.area.padStart(6)} | maxDets=${String(spec.maxDets).padStart(3)} ] = ${formatFixed(value, 3)}`;
}

/** The 12 summary numbers and the 12 lines pycocotools prints for them. */
export function summarize(acc: Accumulated, p: ResolvedParams): { stats: number[]; lines: string[] } {
  const specs = statSpecs(p.maxDets);
  const stats = specs.map((spec) => average(acc, p, spec));
  return { stats, lines: specs.map((spec, i) => summaryLine(spec, p, stats[i])) };
}
