import { describe, expect, it } from 'vitest';
import { estimateRunSeconds, presetByName, rowMinimumSteps, stepsOf, tableMinimum, TABLE_MINIMUMS, type TableSettings } from '../experiments/presets.js';
import { TABLES, tableById, type BenchTable } from '../experiments/tables.js';
import type { RunRecord } from '../results/store.js';
import type { CalibrationSample } from '../runners/types.js';
import { leftOutLines, minimumSettings, planBudget, SEQUENTIAL_RESERVE } from './budget.js';
import { baseSettings, estimatePlan, planRuns } from './plan.js';
import { addSeedsRound } from './sequential.js';

const preset = presetByName('default');
const sample = (secondsPerTrainImage: number, setupSeconds = 10): CalibrationSample => ({
  secondsPerTrainImage,
  secondsPerEvalImage: secondsPerTrainImage / 4,
  secondsPerBnImage: secondsPerTrainImage / 2,
  secondsPerLoadedImage: 1e-5,
  setupSeconds,
  note: '',
});
// Speeds of the order measured on this 2-core machine (1 thread per job): CustomNet ~0.01-0.02 s per training
// image, ResNet-50 ~0.035-0.04, DenseNet ~0.02, RetinaNet at 128 px ~1.7.
const SPEED: Record<number, CalibrationSample> = {
  1: sample(0.035),
  2: sample(0.02),
  3: sample(0.0105),
  4: sample(0.019),
  5: sample(0.042),
  6: sample(0.0188),
  7: sample(1.7, 15),
};
const classification = TABLES.filter((t) => t.runner === 'classification');

function plan(tables: readonly BenchTable[], budgetSeconds: number, options: { forced?: boolean; seeds?: number; rows?: string[] } = {}) {
  const base = baseSettings(preset, tables, {});
  return planBudget({
    tables,
    forced: options.forced ?? false,
    rows: options.rows,
    seeds: options.seeds ?? 2,
    base,
    sample: (t) => SPEED[t.id],
    budget: { budgetSeconds, jobs: 2, shards: 1, reservedSeconds: 60 },
    overrides: {},
  });
}

/** The rows that learn at their table's minimum (the planner starts a table with them). */
function coreRows(table: BenchTable): string[] {
  return table.rows.map((r) => r.key).filter((k) => rowMinimumSteps(table.id, k) <= tableMinimum(table.id).steps);
}

/** Work seconds of a table's runs at its minimum (its core rows). */
function minimumWork(table: BenchTable, seeds = 2): number {
  const s = minimumSettings(table, baseSettings(preset, [table], {}).get(table.id) as TableSettings, SPEED[table.id], {});
  return coreRows(table).length * seeds * estimateRunSeconds(s, SPEED[table.id]);
}

describe('table minimums', () => {
  it('every table has one, and the smallest settings meet it', () => {
    for (const table of TABLES) {
      const min = tableMinimum(table.id);
      expect(min.steps).toBeGreaterThan(0);
      const s = minimumSettings(table, baseSettings(preset, [table], {}).get(table.id) as TableSettings, SPEED[table.id], {});
      expect(stepsOf(s)).toBeGreaterThanOrEqual(min.steps);
      // No more than one epoch's rounding above it.
      expect(stepsOf(s)).toBeLessThan(min.steps + s.epochs);
      expect('testImages' in s ? s.testImages : s.valImages).toBe(min.evalImages);
    }
    expect(Object.keys(TABLE_MINIMUMS).map(Number)).toEqual(TABLES.map((t) => t.id));
  });
});

describe('planBudget', () => {
  it('takes the tables whose minimum fits, cheapest first, and lists the others with the budget they need', () => {
    const costs = classification.map((t) => ({ id: t.id, work: minimumWork(t) })).sort((a, b) => a.work - b.work);
    // A budget for exactly the two cheapest tables' minimums (2 jobs), plus the calibration's minute.
    const budget = (costs[0].work + costs[1].work) / 2 + 60 + 1;
    const p = plan(classification, budget);
    expect(p.tables.map((t) => t.id)).toEqual([costs[0].id, costs[1].id].sort((a, b) => a - b));
    const tablesOut = p.leftOut.filter((l) => l.row === undefined);
    expect(tablesOut.map((l) => l.table.id)).toEqual(costs.slice(2).map((c) => c.id).sort((a, b) => a - b));
    // The slow rows of a chosen table do not fit beside the rest either: each is listed.
    expect(p.leftOut.filter((l) => l.row !== undefined).map((l) => `${l.table.id}:${l.row}`)).toEqual(
      p.tables.filter((t) => coreRows(t).length < t.rows.length).map((t) => `${t.id}:spatialDropout`),
    );
    for (const l of tablesOut) {
      expect(l.neededSeconds).toBeCloseTo(minimumWork(l.table) / 2, 6);
      expect(l.reason).toMatch(/^its minimum does not fit: it needs about [\d.]+ (h|min) here on its own \((10|8) runs x >= \d+ steps x \d\.\d\d s\/step/);
      expect(l.reason).toContain(`--tables ${l.table.id}`);
    }
    expect(leftOutLines(p.leftOut)[0]).toMatch(/^table \d \(.*\) left out: its minimum does not fit/);
    expect(p.warnings).toEqual([]);
    // Every run is at least at its table's minimum.
    for (const t of p.tables) expect(stepsOf(p.settings.get(t.id) as TableSettings)).toBeGreaterThanOrEqual(tableMinimum(t.id).steps);
  });

  it('gives the time left over to longer training and keeps the estimate within the budget', () => {
    const tables = [tableById(3), tableById(6)];
    const budget = 3600;
    const p = plan(tables, budget);
    expect(p.tables.map((t) => t.id)).toEqual([3, 6]);
    for (const t of tables) {
      const s = p.settings.get(t.id) as TableSettings;
      expect(stepsOf(s)).toBeGreaterThan(1.2 * tableMinimum(t.id).steps);
    }
    const runs = planRuns({ tables, tableRows: p.rows, seeds: 2 }, p.settings);
    const wall = estimatePlan(runs, (r) => SPEED[r.config.table], 2).wallSeconds;
    // The first pass fills the budget less the calibration and the reserve kept for added seeds.
    expect(wall).toBeLessThanOrEqual(budget - 60 - p.reserveSeconds + 5);
    expect(wall).toBeGreaterThan((budget - 60 - p.reserveSeconds) * 0.9);
    expect(p.reserveSeconds).toBeGreaterThanOrEqual(0);
    expect(p.reserveSeconds).toBeLessThanOrEqual((budget - 60) * SEQUENTIAL_RESERVE);
  });

  it('keeps time for one round of added seeds (the cheapest table, at its sized length) when it is small enough', () => {
    const tables = [tableById(3), tableById(6)];
    const p = plan(tables, 4 * 3600, { rows: ['none', 'dropout', 'dropBlock3', 'dropBlock7'] });
    expect(p.reserveSeconds).toBeGreaterThan(0);
    // One more seed for table 3's four rows at the sized settings, on 2 jobs.
    const round = planRuns({ tables: [tableById(3)], tableRows: p.rows, seeds: 1 }, p.settings);
    const perRun = estimateRunSeconds(p.settings.get(3) as TableSettings, SPEED[3]);
    // Within 10%: the reserve is computed before the sizing rounds training to whole batches.
    expect(Math.abs(p.reserveSeconds - (round.length * perRun) / 2) / ((round.length * perRun) / 2)).toBeLessThan(0.1);
    expect(p.reserveSeconds).toBeLessThanOrEqual((4 * 3600 - 60) * SEQUENTIAL_RESERVE);
  });

  it('adds a slow row back, at the length it needs, when the time allows, and lists it when not', () => {
    const t6 = tableById(6);
    const slowSteps = rowMinimumSteps(6, 'spatialDropout');
    expect(slowSteps).toBeGreaterThan(tableMinimum(6).steps);
    const full = minimumSettings(t6, baseSettings(preset, [t6], {}).get(6) as TableSettings, SPEED[6], {}, slowSteps);
    const fullWork = t6.rows.length * 2 * estimateRunSeconds(full, SPEED[6]);
    const fits = plan([t6], fullWork / 2 + 60 + 1);
    expect(fits.rows.get(6)).toEqual(t6.rows.map((r) => r.key));
    expect(stepsOf(fits.settings.get(6) as TableSettings)).toBeGreaterThanOrEqual(slowSteps);
    expect(fits.leftOut).toEqual([]);
    const short = plan([t6], fullWork / 2 + 60 - 60);
    expect(short.rows.get(6)).toEqual(coreRows(t6));
    expect(short.leftOut.map((l) => l.row)).toEqual(['spatialDropout']);
    expect(leftOutLines(short.leftOut)[0]).toMatch(
      /^table 6 \(.*\), row .*SpatialDropout\(0\.7\), left out: it learns more slowly than the table's other rows and needs >= 1200 steps .*the table with it needs about [\d.]+ (h|min) here on its own \(10 runs x >= 1200 steps/,
    );
    // Its runs are not planned, nor added by the sequential stage.
    expect(planRuns({ tables: [t6], tableRows: short.rows, seeds: 2 }, short.settings).map((r) => r.config.row)).not.toContain('spatialDropout');
  });

  it('needs 2 seeds per row to fit: a budget for one seed leaves the table out', () => {
    const t6 = tableById(6);
    const budget = minimumWork(t6, 1) / 2 + 60 + 1; // one seed per row, not two
    const p = plan([t6], budget);
    expect(p.tables).toEqual([]);
    expect(p.leftOut.map((l) => l.table.id)).toEqual([6]);
  });

  it('runs forced tables below their minimum, with a warning naming the minimum', () => {
    const p = plan([tableById(1)], 600, { forced: true });
    expect(p.tables.map((t) => t.id)).toEqual([1]);
    expect(p.leftOut).toEqual([]);
    expect(p.warnings).toHaveLength(1);
    expect(p.warnings[0]).toMatch(new RegExp(`^table 1 is below its minimum training length \\(\\d+ steps, \\d+ test images; it needs >= ${tableMinimum(1).steps} steps`));
    // A forced table that fits gets no warning.
    expect(plan([tableById(6)], 3600, { forced: true, rows: ['none', 'dropBlock3'] }).warnings).toEqual([]);
    // A forced table runs its slow rows too, with a warning naming them when they get less than they need.
    const slow = plan([tableById(6)], 3600, { forced: true });
    expect(slow.rows.get(6)).toEqual(tableById(6).rows.map((r) => r.key));
    expect(slow.warnings).toHaveLength(1);
    expect(slow.warnings[0]).toMatch(/^table 6: row\(s\) spatialDropout learn more slowly and need >= 1200 steps \(this plan gives \d+\)/);
  });
});

describe('sequential stage', () => {
  const t3 = tableById(3);
  const settings = new Map([[3, baseSettings(preset, [t3], {}).get(3) as TableSettings]]);
  const record = (row: string, seed: number, accuracy: number): RunRecord =>
    ({
      format: 1,
      status: 'ok',
      runId: `t3-${row}-s${seed}`,
      table: 3,
      row,
      seed,
      preset: 'default',
      hash: `${row}${seed}`,
      config: { settings: settings.get(3) },
      history: [],
      metrics: { accuracy },
    }) as unknown as RunRecord;

  it('adds the next seed to every row of an undecided claim', () => {
    // Two seeds, overlapping rows: "Dropout is best for CustomNet" is not resolved.
    const records = t3.rows.flatMap((r, i) => [record(r.key, 1, 0.5 + i * 0.001), record(r.key, 2, 0.52 - i * 0.001)]);
    const round = addSeedsRound(records, [t3], settings, {});
    expect(round.map((r) => r.id).sort()).toEqual(t3.rows.map((r) => `t3-${r.key}-s3`).sort());
    expect(round.every((r) => r.config.settings === settings.get(3))).toBe(true);
  });

  it('adds nothing once the claim is decided', () => {
    // Dropout far above every other row with a tiny spread: supported.
    const records = t3.rows.flatMap((r) =>
      r.key === 'dropout' ? [record(r.key, 1, 0.7), record(r.key, 2, 0.7001), record(r.key, 3, 0.7002)] : [record(r.key, 1, 0.5), record(r.key, 2, 0.5001), record(r.key, 3, 0.5002)],
    );
    expect(addSeedsRound(records, [t3], settings, {})).toEqual([]);
  });

  it('keeps to the selected rows', () => {
    const records = ['none', 'dropout'].flatMap((k) => [record(k, 1, 0.5), record(k, 2, 0.51)]);
    const round = addSeedsRound(records, [t3], settings, { rows: ['none', 'dropout'] });
    expect(round.map((r) => r.id).sort()).toEqual(['t3-dropout-s3', 't3-none-s3']);
  });
});
