/**
 * The report's claims, as data, and how the bench judges each from the seeds' spread.
 *
 * Test: Welch's t-test on the final metric of each row (one value per seed), with a family-wise level of
 * alpha = 0.05 kept for each verdict of a claim:
 * - A verdict that needs every one of several comparisons (every table agrees; a row beats every other row) is an
 *   intersection-union test (Berger 1982) and needs no split; "beats" and "equal" claims use that, the "best" claim
 *   keeps a (conservative) split of alpha over the rows it beats.
 * - A verdict that any one of several comparisons can give (some table contradicts; some DropBlock row is the
 *   winner) splits alpha over them (Bonferroni): each at alpha / k. "Beats" claims pick no winner by its mean
 *   before testing: every candidate row is tested, each at alpha / candidates, so the selection costs no level.
 * - Equality claims use two one-sided tests (TOST) with a stated margin for "supported" (intersection-union, each
 *   at alpha), and for "contradicted" the test of non-equivalence (|difference| > margin, {@link nonEquivalenceP})
 *   at alpha / rows: a difference smaller than the margin cannot contradict them, however significant.
 * A claim is "not resolved" when a row it needs has fewer than 2 finished seeds, or when the tests decide neither
 * way.
 */
import { primaryMetric, tableById } from '../experiments/tables.js';
import { mean, nonEquivalenceP, tostP, welchTest } from './stats.js';

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
    const level = ALPHA / pairs.length;
    const test = `TOST equivalence within ±${claim.margin} ${metricName} of '${claim.reference}' for each of ${pairs.length} rows (each at alpha = ${ALPHA}); contradicted when a test of |difference| > ${claim.margin} rejects for a row at ${ALPHA}/${pairs.length}`;
    if (missing) return { claim, verdict: 'not resolved', because: missing, test };
    const results = pairs.map(({ t, row }) => {
      const a = get(t, row);
      const b = get(t, claim.reference);
      return { t, row, tost: tostP(a, b, claim.margin), beyond: nonEquivalenceP(a, b, claim.margin), w: welchTest(a, b) };
    });
    const differing = results.filter((r) => r.beyond < level).sort((x, y) => x.beyond - y.beyond)[0];
    if (differing) {
      return {
        claim,
        verdict: 'contradicted',
        because: `table ${differing.t}: ${differing.row} differs from ${claim.reference} by ${fmt(differing.w.difference)}, more than the margin ${claim.margin} (${pText(differing.beyond)})`,
        test,
      };
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
    const mine = get(t, claim.row);
    // One row that beats the claimed best contradicts it whatever the rows not run would show (a budget plan may
    // leave a slow row out), so the rows that have their seeds are tested even when another is missing; the level
    // stays split over all the other rows.
    const present = others.filter((o) => get(t, o).length >= MIN_SEEDS);
    const loser = mine.length >= MIN_SEEDS ? present.map((o) => ({ o, ...better(t, get(t, o), mine, level) })).find((r) => r.yes) : undefined;
    if (loser) return { claim, verdict: 'contradicted', because: `${loser.o} beats ${claim.row} by ${fmt(Math.abs(loser.diff))} (${pText(loser.p)})`, test };
    if (missing) return { claim, verdict: 'not resolved', because: missing, test };
    const beaten = others.map((o) => ({ o, ...better(t, mine, get(t, o), level) }));
    if (beaten.every((b) => b.yes)) {
      return { claim, verdict: 'supported', because: `${claim.row} beats every other row (largest ${pText(Math.max(...beaten.map((b) => b.p)))})`, test };
    }
    const weakest = beaten.filter((b) => !b.yes).reduce((a, b) => (b.p > a.p ? b : a));
    return { claim, verdict: 'not resolved', because: `${claim.row} vs ${weakest.o}: difference ${fmt(weakest.diff)}, ${pText(weakest.p)} (needs p < ${level.toFixed(4)})`, test };
  }
  // Supported: in every table some candidate beats every `than` row. Every table and every `than` row must agree
  // (intersection-union: no split), but any of the candidates may be the one (union: alpha / candidates).
  // Contradicted: in some table every candidate is beaten by a `than` row; any table and any `than` row may show it
  // (union: alpha / (tables x than)).
  const supportLevel = ALPHA / claim.better.length;
  const contradictLevel = ALPHA / (claim.tables.length * claim.than.length);
  const test =
    `Welch t-test, two-sided, of each of ${claim.better.join(' / ')} against ${claim.than.join(' / ')} on final ${metricName} in each table: ` +
    `supported when in every table one of them beats ${claim.than.length > 1 ? 'each' : 'it'} at ${ALPHA}/${claim.better.length}, ` +
    `contradicted when in some table every one is beaten at ${ALPHA}/${claim.tables.length * claim.than.length}`;
  if (missing) return { claim, verdict: 'not resolved', because: missing, test };
  const up = primaryMetric(tableById(claim.tables[0])).higherIsBetter;
  const byMean = (t: number) => [...claim.better].sort((a, b) => (up ? mean(get(t, b)) - mean(get(t, a)) : mean(get(t, a)) - mean(get(t, b))));
  const parts: string[] = [];
  let allYes = true;
  for (const t of claim.tables) {
    const order = byMean(t);
    const losses = claim.than.map((o) => ({ o, vs: order.map((b) => better(t, get(t, o), get(t, b), contradictLevel)) }));
    const beatenAll = order.every((_, i) => losses.some((l) => l.vs[i].yes));
    if (beatenAll) {
      const first = losses.find((l) => l.vs[0].yes) as (typeof losses)[number];
      const others = order.length > 1 ? ' and every other candidate' : '';
      return { claim, verdict: 'contradicted', because: `table ${t}: ${first.o} beats the best ${order[0]} by ${fmt(Math.abs(first.vs[0].diff))} (${pText(first.vs[0].p)})${others}`, test };
    }
    const wins = order.map((b) => ({ b, vs: claim.than.map((o) => ({ o, ...better(t, get(t, b), get(t, o), supportLevel) })) }));
    // Name the winner with the best mean, or, when none wins, the best candidate by mean.
    const shown = wins.find((w) => w.vs.every((v) => v.yes)) ?? wins[0];
    const won = shown.vs.every((v) => v.yes);
    allYes &&= won;
    for (const v of shown.vs) parts.push(`table ${t}: ${shown.b} - ${v.o} = ${fmt(v.diff)} (${pText(v.p)})`);
  }
  return { claim, verdict: allYes ? 'supported' : 'not resolved', because: `${parts.join('; ')}${allYes ? '' : `; needs p < ${supportLevel.toFixed(4)} for one of them in every table`}`, test };
}
