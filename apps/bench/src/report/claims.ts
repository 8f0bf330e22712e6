/**
 * The report's claims, as data, and how the bench judges each from the seeds' spread.
 *
 * Test: Welch's two-sided t-test on the final metric of each row (one value per seed), at a family-wise level of
 * alpha = 0.05 split evenly over the comparisons a claim makes (Bonferroni: each comparison at 0.05 / k). Equality
 * claims use two one-sided tests (TOST) with a stated margin, each at 0.05 (an intersection-union test: every pair
 * must be shown equivalent, so no split is needed). A claim is "not resolved" when a row it needs has fewer than 2
 * finished seeds, or when the tests decide neither way.
 */
import { primaryMetric, tableById } from '../experiments/tables.js';
import { mean, tostP, welchTest } from './stats.js';

/** Family-wise significance level of a claim. */
export const ALPHA = 0.05;

/** Seeds a row needs before it can take part in a test. */
export const MIN_SEEDS = 2;

/** A claim of the report. */
export type Claim =
  | {
      /** Stable id. */
      id: string;
      /** The claim in the report's words. */
      text: string;
      /** `beats`: in every table, the best row of `better` beats every row of `than`. */
      kind: 'beats';
      /** Tables it covers. */
      tables: number[];
      /** Rows that should win. */
      better: string[];
      /** Rows they should beat. */
      than: string[];
    }
  | {
      id: string;
      text: string;
      /** `best`: `row` beats every other row of the table. */
      kind: 'best';
      tables: number[];
      /** The row that should be best. */
      row: string;
    }
  | {
      id: string;
      text: string;
      /** `equal`: every row is within `margin` of `reference`. */
      kind: 'equal';
      tables: number[];
      /** Row every other row is compared to. */
      reference: string;
      /** Equivalence margin on the metric (absolute). */
      margin: number;
    };

/** The claims the bench judges. */
export const CLAIMS: readonly Claim[] = [
  {
    id: 'dropblock-beats-dropout-cifar',
    text: 'DropBlock beats Dropout on ResNet-50 and DenseNet on CIFAR-10',
    kind: 'beats',
    tables: [1, 2],
    better: ['dropBlock3', 'dropBlock7'],
    than: ['dropout'],
  },
  { id: 'dropout-best-customnet', text: 'Dropout is best for CustomNet (CIFAR-10)', kind: 'best', tables: [3], row: 'dropout' },
  {
    id: 'mnist-equal',
    text: 'On MNIST the regularisers are equal',
    kind: 'equal',
    tables: [4, 5, 6],
    reference: 'none',
    margin: 0.01,
  },
  {
    id: 'dropblock-detection',
    text: 'DropBlock is a good regulariser for detection (lower val_loss than no regulariser)',
    kind: 'beats',
    tables: [7],
    better: ['dropBlock7kp07', 'dropBlock7', 'dropBlock3kp07', 'dropBlock3'],
    than: ['none'],
  },
];

/** Final metric values per table and row (one per finished seed). */
export type RowValues = ReadonlyMap<number, ReadonlyMap<string, readonly number[]>>;

/** A verdict on a claim. */
export interface Verdict {
  /** The claim. */
  claim: Claim;
  /** The verdict. */
  verdict: 'supported' | 'contradicted' | 'not resolved';
  /** Why, in one or two sentences with the figures. */
  because: string;
  /** The test used, in words. */
  test: string;
}

function fmt(x: number): string {
  return Number.isFinite(x) ? x.toFixed(4) : String(x);
}

function pText(p: number): string {
  return p < 1e-4 ? 'p < 0.0001' : `p = ${p.toFixed(4)}`;
}

/** `a` is better than `b` in the table's direction (higher accuracy, lower val_loss) and significant at `level`. */
function better(table: number, a: readonly number[], b: readonly number[], level: number): { yes: boolean; p: number; diff: number } {
  const w = welchTest(a, b);
  const up = primaryMetric(tableById(table)).higherIsBetter;
  const rightWay = up ? w.difference > 0 : w.difference < 0;
  return { yes: rightWay && w.p < level, p: w.p, diff: w.difference };
}

function missingRows(claim: Claim, values: RowValues): string | undefined {
  const rows = (table: number): string[] => {
    if (claim.kind === 'beats') return [...claim.better, ...claim.than];
    return tableById(table).rows.map((r) => r.key);
  };
  const absent = claim.tables.filter((t) => values.get(t) === undefined);
  if (absent.length > 0) return `table ${absent.join(' and ')} not in these results`;
  let fewest = Infinity;
  let where = '';
  for (const t of claim.tables) {
    for (const row of rows(t)) {
      const n = values.get(t)?.get(row)?.length ?? 0;
      if (n < fewest) {
        fewest = n;
        where = `table ${t} ${row}`;
      }
    }
  }
  return fewest < MIN_SEEDS ? `needs at least ${MIN_SEEDS} finished seeds per row; ${where} has ${fewest}` : undefined;
}

/** Judges one claim from the rows' final values. */
export function judgeClaim(claim: Claim, values: RowValues): Verdict {
  const metricName = primaryMetric(tableById(claim.tables[0])).label;
  const missing = missingRows(claim, values);
  const get = (t: number, r: string) => values.get(t)?.get(r) ?? [];
  if (claim.kind === 'equal') {
    const pairs = claim.tables.flatMap((t) =>
      tableById(t).rows.filter((r) => r.key !== claim.reference).map((r) => ({ t, row: r.key })),
    );
    const test = `TOST equivalence within ±${claim.margin} ${metricName} of '${claim.reference}' for each of ${pairs.length} rows (each at alpha = ${ALPHA}); contradicted when a row differs by more than the margin with Welch p < ${ALPHA}/${pairs.length}`;
    if (missing) return { claim, verdict: 'not resolved', because: missing, test };
    const results = pairs.map(({ t, row }) => {
      const a = get(t, row);
      const b = get(t, claim.reference);
      const w = welchTest(a, b);
      return { t, row, tost: tostP(a, b, claim.margin), w };
    });
    const differing = results.find((r) => Math.abs(r.w.difference) > claim.margin && r.w.p < ALPHA / pairs.length);
    if (differing) {
      return { claim, verdict: 'contradicted', because: `table ${differing.t}: ${differing.row} differs from ${claim.reference} by ${fmt(differing.w.difference)} (${pText(differing.w.p)})`, test };
    }
    const worst = results.reduce((a, b) => (b.tost > a.tost ? b : a));
    if (worst.tost < ALPHA) {
      return { claim, verdict: 'supported', because: `every row is within ±${claim.margin} of ${claim.reference} (largest TOST ${pText(worst.tost)}, table ${worst.t} ${worst.row})`, test };
    }
    return { claim, verdict: 'not resolved', because: `table ${worst.t} ${worst.row}: difference ${fmt(worst.w.difference)} not shown within ±${claim.margin} (TOST ${pText(worst.tost)}) nor beyond it`, test };
  }
  if (claim.kind === 'best') {
    const t = claim.tables[0];
    const others = tableById(t).rows.filter((r) => r.key !== claim.row).map((r) => r.key);
    const level = ALPHA / others.length;
    const test = `Welch t-test, two-sided, of ${claim.row} against each of the ${others.length} other rows on final ${metricName}, each at ${ALPHA}/${others.length}`;
    if (missing) return { claim, verdict: 'not resolved', because: missing, test };
    const mine = get(t, claim.row);
    const beaten = others.map((o) => ({ o, ...better(t, mine, get(t, o), level) }));
    const loser = others.map((o) => ({ o, ...better(t, get(t, o), mine, level) })).find((r) => r.yes);
    if (loser) return { claim, verdict: 'contradicted', because: `${loser.o} beats ${claim.row} by ${fmt(Math.abs(loser.diff))} (${pText(loser.p)})`, test };
    if (beaten.every((b) => b.yes)) {
      return { claim, verdict: 'supported', because: `${claim.row} beats every other row (largest ${pText(Math.max(...beaten.map((b) => b.p)))})`, test };
    }
    const weakest = beaten.filter((b) => !b.yes).reduce((a, b) => (b.p > a.p ? b : a));
    return { claim, verdict: 'not resolved', because: `${claim.row} vs ${weakest.o}: difference ${fmt(weakest.diff)}, ${pText(weakest.p)} (needs p < ${level.toFixed(4)})`, test };
  }
  const comparisons = claim.tables.length * claim.than.length;
  const level = ALPHA / comparisons;
  const test = `Welch t-test, two-sided, of the best (by mean) of ${claim.better.join(' / ')} against ${claim.than.join(' / ')} on final ${metricName} in each table, each at ${ALPHA}/${comparisons}`;
  if (missing) return { claim, verdict: 'not resolved', because: missing, test };
  const up = primaryMetric(tableById(claim.tables[0])).higherIsBetter;
  const parts: string[] = [];
  let allYes = true;
  for (const t of claim.tables) {
    const best = claim.better.reduce((a, b) => ((up ? mean(get(t, b)) > mean(get(t, a)) : mean(get(t, b)) < mean(get(t, a))) ? b : a));
    for (const o of claim.than) {
      const win = better(t, get(t, best), get(t, o), level);
      const loss = better(t, get(t, o), get(t, best), level);
      if (loss.yes) {
        return { claim, verdict: 'contradicted', because: `table ${t}: ${o} beats the best ${best} by ${fmt(Math.abs(loss.diff))} (${pText(loss.p)})`, test };
      }
      allYes &&= win.yes;
      parts.push(`table ${t}: ${best} - ${o} = ${fmt(win.diff)} (${pText(win.p)})`);
    }
  }
  return { claim, verdict: allYes ? 'supported' : 'not resolved', because: `${parts.join('; ')}${allYes ? '' : `; needs p < ${level.toFixed(4)} in every table`}`, test };
}
