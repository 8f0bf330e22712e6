/**
 * The verdicts' error rates, by simulation: seeded normal draws of each row's final metric, many trials, and the
 * rate of a wrong verdict compared with the family-wise alpha. Tolerance: 3 binomial standard deviations of a rate
 * of alpha over the trial count, sqrt(alpha (1 - alpha) / trials).
 */
import { createRandom } from '@db/datasets';
import { describe, expect, it } from 'vitest';
import { tableById } from '../experiments/tables.js';
import { ALPHA, CLAIMS, judgeClaim, type Claim, type RowValues } from './claims.js';

const claim = (id: string): Claim => {
  const c = CLAIMS.find((x) => x.id === id);
  if (!c) throw new Error(id);
  return c;
};

/** Standard normal draws by Box-Muller from a seeded uniform generator. */
function normal(random: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** One simulated result: every row of `tables` with `seeds` values drawn from N(mean(table, row), sd^2). */
function draw(tables: readonly number[], means: (table: number, row: string) => number, sd: number, seeds: number, z: () => number): RowValues {
  return new Map(
    tables.map((t) => [t, new Map(tableById(t).rows.map((r) => [r.key, Array.from({ length: seeds }, () => means(t, r.key) + sd * z())]))]),
  );
}

function rate(c: Claim, verdict: string, trials: number, seed: number, sample: (z: () => number) => RowValues): number {
  const z = normal(createRandom(seed));
  let hits = 0;
  for (let i = 0; i < trials; i++) if (judgeClaim(c, sample(z)).verdict === verdict) hits++;
  return hits / trials;
}

const TRIALS = 4000;
/** 3 binomial sds of a rate alpha over TRIALS trials: 0.0103. */
const TOLERANCE = 3 * Math.sqrt((ALPHA * (1 - ALPHA)) / TRIALS);

describe('verdict error rates (simulation)', () => {
  it('"the regularisers are equal" is contradicted at most alpha of the time when every row differs by just less than the margin', () => {
    const c = claim('mnist-equal');
    if (c.kind !== 'equal') throw new Error('kind');
    // Every non-reference row 0.0095 above the reference (margin 0.01), sd 0.001, 3 seeds: the claim is true.
    const inside = rate(c, 'contradicted', TRIALS, 1, (z) => draw(c.tables, (_, r) => (r === c.reference ? 0.99 : 0.9995), 0.001, 3, z));
    expect(inside).toBeLessThanOrEqual(ALPHA + TOLERANCE);
    // One row clearly beyond the margin (0.02 below) is still found.
    const beyond = rate(c, 'contradicted', 1000, 2, (z) => draw(c.tables, (t, r) => (t === 5 && r === 'spatialDropout' ? 0.97 : 0.99), 0.001, 3, z));
    expect(beyond).toBeGreaterThan(0.95);
  });

  it('"DropBlock is a good regulariser for detection" (best of four DropBlock rows) is supported at most alpha of the time when every row is equal', () => {
    const c = claim('dropblock-detection');
    for (const [seeds, seed] of [
      [5, 3],
      [10, 4],
    ]) {
      const supported = rate(c, 'supported', TRIALS, seed, (z) => draw(c.tables, () => 2.5, 0.05, seeds, z));
      expect(supported, `${seeds} seeds`).toBeLessThanOrEqual(ALPHA + TOLERANCE);
    }
    // A real improvement of every DropBlock row is still found.
    const real = rate(c, 'supported', 1000, 5, (z) => draw(c.tables, (_, r) => (r.startsWith('dropBlock') ? 2.3 : 2.5), 0.05, 5, z));
    expect(real).toBeGreaterThan(0.95);
  });
});
