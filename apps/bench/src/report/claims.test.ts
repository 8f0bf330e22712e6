import { describe, expect, it } from 'vitest';
import { CLAIMS, judgeClaim, type RowValues } from './claims.js';

const claim = (id: string) => {
  const c = CLAIMS.find((x) => x.id === id);
  if (!c) throw new Error(id);
  return c;
};

/** Synthetic final accuracies: each row is its mean plus a fixed, small, symmetric seed spread. */
function values(tables: Record<number, Record<string, number>>, spread = [-0.002, 0, 0.002]): RowValues {
  return new Map(
    Object.entries(tables).map(([t, rows]) => [Number(t), new Map(Object.entries(rows).map(([r, m]) => [r, spread.map((d) => m + d)]))]),
  );
}

const cifarRows = (dropout: number, db3: number, db7: number) => ({ none: 0.6, dropout, spatialDropout: 0.55, dropBlock3: db3, dropBlock7: db7 });

describe('verdicts', () => {
  it('supports "DropBlock beats Dropout" when the best DropBlock row is clearly above Dropout in both tables', () => {
    const v = judgeClaim(claim('dropblock-beats-dropout-cifar'), values({ 1: cifarRows(0.6, 0.65, 0.62), 2: cifarRows(0.6, 0.61, 0.66) }));
    expect(v.verdict).toBe('supported');
    expect(v.because).toContain('table 1: dropBlock3 - dropout = 0.0500');
    expect(v.because).toContain('table 2: dropBlock7 - dropout');
  });

  it('contradicts it when Dropout is clearly above every DropBlock row in one table', () => {
    const v = judgeClaim(claim('dropblock-beats-dropout-cifar'), values({ 1: cifarRows(0.6, 0.65, 0.62), 2: cifarRows(0.7, 0.61, 0.62) }));
    expect(v.verdict).toBe('contradicted');
    expect(v.because).toMatch(/^table 2: dropout beats the best dropBlock7 by 0\.0800/);
  });

  it('leaves it unresolved when the seeds overlap, or with one seed, or without the table', () => {
    const noisy = judgeClaim(claim('dropblock-beats-dropout-cifar'), values({ 1: cifarRows(0.6, 0.601, 0.6), 2: cifarRows(0.6, 0.601, 0.6) }, [-0.05, 0, 0.05]));
    expect(noisy.verdict).toBe('not resolved');
    expect(noisy.because).toContain('needs p < 0.0250 for one of them in every table');
    const one = judgeClaim(claim('dropblock-beats-dropout-cifar'), values({ 1: cifarRows(0.6, 0.7, 0.7), 2: cifarRows(0.6, 0.7, 0.7) }, [0]));
    expect(one).toMatchObject({ verdict: 'not resolved', because: 'needs at least 2 finished seeds per row; table 1 dropBlock3 has 1' });
    expect(judgeClaim(claim('dropblock-beats-dropout-cifar'), values({ 1: cifarRows(0.6, 0.7, 0.7) })).because).toBe('table 2 not in these results');
  });

  it('judges "Dropout is best for CustomNet" against every other row', () => {
    expect(judgeClaim(claim('dropout-best-customnet'), values({ 3: cifarRows(0.8, 0.75, 0.76) })).verdict).toBe('supported');
    expect(judgeClaim(claim('dropout-best-customnet'), values({ 3: cifarRows(0.8, 0.85, 0.76) })).verdict).toBe('contradicted');
    expect(judgeClaim(claim('dropout-best-customnet'), values({ 3: cifarRows(0.8, 0.799, 0.76) })).verdict).toBe('not resolved');
    // A row the plan left out (SpatialDropout: no records) cannot make it supported, but a row that beats Dropout
    // still contradicts it.
    const { spatialDropout: _left, ...withoutSpatial } = cifarRows(0.8, 0.75, 0.76);
    expect(judgeClaim(claim('dropout-best-customnet'), values({ 3: withoutSpatial }))).toMatchObject({
      verdict: 'not resolved',
      because: 'needs at least 2 finished seeds per row; table 3 spatialDropout has 0',
    });
    const { spatialDropout: _out, ...beaten } = cifarRows(0.8, 0.85, 0.76);
    const v = judgeClaim(claim('dropout-best-customnet'), values({ 3: beaten }));
    expect(v.verdict).toBe('contradicted');
    expect(v.because).toMatch(/^dropBlock3 beats dropout by 0\.0500/);
  });

  it('judges "on MNIST the regularisers are equal" by equivalence within the margin', () => {
    const equal = { none: 0.99, dropout: 0.991, spatialDropout: 0.989, dropBlock3: 0.9905, dropBlock7: 0.99 };
    const tight = [-0.0005, 0, 0.0005];
    expect(judgeClaim(claim('mnist-equal'), values({ 4: equal, 5: equal, 6: equal }, tight)).verdict).toBe('supported');
    const spatialWorse = { ...equal, spatialDropout: 0.97 };
    const v = judgeClaim(claim('mnist-equal'), values({ 4: equal, 5: spatialWorse, 6: equal }, tight));
    expect(v.verdict).toBe('contradicted');
    expect(v.because).toMatch(/^table 5: spatialDropout differs from none by -0\.0200, more than the margin 0\.01 \(p < 0\.0001\)/);
    // Just past the margin (0.0105) but not significantly past it: a significant difference from 0 is not enough.
    const justPast = judgeClaim(claim('mnist-equal'), values({ 4: equal, 5: { ...equal, spatialDropout: 0.9795 }, 6: equal }));
    expect(justPast.verdict).toBe('not resolved');
    expect(justPast.because).toMatch(/^table 5 spatialDropout: difference -0\.0105 not shown within ±0\.01/);
    // Spread too wide to show equivalence, difference too small to contradict.
    expect(judgeClaim(claim('mnist-equal'), values({ 4: equal, 5: equal, 6: equal }, [-0.01, 0, 0.01])).verdict).toBe('not resolved');
  });

  it('judges the detection claim on val_loss, lower being better', () => {
    const rows = (none: number, db: number) => ({ none, dropout: 2.5, spatialDropout: 2.6, dropBlock7kp07: db, dropBlock7: db + 0.05, dropBlock3kp07: db + 0.1, dropBlock3: db + 0.1 });
    expect(judgeClaim(claim('dropblock-detection'), values({ 7: rows(2.6, 2.4) })).verdict).toBe('supported');
    expect(judgeClaim(claim('dropblock-detection'), values({ 7: rows(2.3, 2.4) })).verdict).toBe('contradicted');
  });
});
