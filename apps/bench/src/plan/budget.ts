/**
 * The budget planner of the default preset: it buys only runs that learn.
 *
 * 1. Every table has a minimum training length (`TABLE_MINIMUMS`, experiments/presets.ts: optimiser steps and test
 *    images, chosen from measurements). Its cost on this machine is its runs (rows x seeds) at that minimum, timed
 *    by the calibration (`estimateRunSeconds`).
 * 2. Tables whose minimum fits are taken cheapest first until the next one no longer fits the budget (jobs x
 *    shards x seconds); the others are left out, each with the budget it would need here. A row that learns more
 *    slowly than its table's others (`rowSteps`: SpatialDropout(0.7) on CustomNet) is first left out of its table;
 *    it is added back, raising its table's training length to its own minimum (the rows of a table share their
 *    settings), when the time left allows, cheapest first; otherwise it is listed with the budget it needs.
 * 3. The time left over is shared equally among the runs as longer training (more images, then more epochs), less
 *    a reserve for one round of the sequential stage when it is small enough: once the first pass has finished,
 *    the rows of claims still undecided get more seeds while the budget lasts (plan/sequential.ts).
 * 4. The sizing is checked against the pool's own schedule (`estimatePlan`, runs on the first free job) and
 *    shrunk until its wall time fits.
 *
 * `--tables` forces tables in, with all their selected rows: they are sized from the budget even below their minimum,
 * with a warning.
 */
import {
  applyOverrides,
  estimateRunSeconds,
  fitToBudget,
  rowMinimumSteps,
  rowsMinimumSteps,
  stepsOf,
  tableMinimum,
  type SettingOverrides,
  type TableSettings,
} from '../experiments/presets.js';
import type { BenchTable } from '../experiments/tables.js';
import type { CalibrationSample } from '../runners/types.js';
import { estimatePlan, planRuns, type BudgetOptions, type Selection } from './plan.js';

/** Most of the time left after every table's minimum that the first pass keeps for added seeds (one round). */
export const SEQUENTIAL_RESERVE = 0.35;

/** A table (or one of its rows) the planner left out, and why. */
export interface LeftOutTable {
  /** The table. */
  table: BenchTable;
  /** The row left out of a planned table; undefined when the whole table is left out. */
  row?: string;
  /** One line: why, and what would make it fit (e.g. the budget it needs here). */
  reason: string;
  /** Wall seconds its minimum needs on this machine with the plan's jobs (undefined when it cannot run at all). */
  neededSeconds?: number;
}

/** What the planner decided. */
export interface BudgetPlan {
  /** Tables to run, in canonical order. */
  tables: BenchTable[];
  /** Settings of each table to run. */
  settings: Map<number, TableSettings>;
  /** Rows of each table to run (the selected rows less those left out). */
  rows: Map<number, string[]>;
  /** Tables, and rows of planned tables, left out because their minimum does not fit. */
  leftOut: LeftOutTable[];
  /** Warnings (forced tables below their minimum). */
  warnings: string[];
  /** Wall seconds kept for the sequential stage (added seeds). */
  reserveSeconds: number;
}

/** Inputs of {@link planBudget}. */
export interface BudgetInput {
  /** Candidate tables (those with data and a calibration). */
  tables: readonly BenchTable[];
  /** True when the user named the tables (`--tables`): all are run, with a warning when below their minimum. */
  forced: boolean;
  /** Row keys to keep; undefined keeps every row. */
  rows?: readonly string[];
  /** Seeds per row in the first pass. */
  seeds: number;
  /** Each table's settings before sizing (preset + flags). */
  base: Map<number, TableSettings>;
  /** The calibration sample of a table. */
  sample(table: BenchTable): CalibrationSample;
  /** Budget, jobs, shards, calibration time. */
  budget: BudgetOptions;
  /** The user's flags (kept as given). */
  overrides: SettingOverrides;
}

function chosenRuns(chosen: ReadonlyArray<{ runs: number }>): number {
  return chosen.reduce((n, c) => n + c.runs, 0);
}

function selectedRows(table: BenchTable, rows: readonly string[] | undefined): string[] {
  return table.rows.filter((r) => rows === undefined || rows.includes(r.key)).map((r) => r.key);
}

/**
 * The smallest settings of `table` that meet its minimum (or the user's fixed values); `minSteps` defaults to the
 * table's own minimum (pass {@link rowsMinimumSteps} for the rows that will run).
 */
export function minimumSettings(
  table: BenchTable,
  base: TableSettings,
  sample: CalibrationSample,
  overrides: SettingOverrides,
  minSteps = tableMinimum(table.id).steps,
): TableSettings {
  const min = tableMinimum(table.id);
  const paper = applyOverrides(table.paper as TableSettings, { batchSize: overrides.batchSize });
  return fitToBudget(base, paper, sample, 0, overrides, { minSteps, minEvalImages: min.evalImages });
}

/** One way to run a table: these rows, at the training length the slowest of them needs. */
interface Variant {
  rows: string[];
  minSteps: number;
  minimal: TableSettings;
  runs: number;
  runSeconds: number;
  work: number;
}

/** Seconds per optimiser step of `settings` on `sample`. */
function secondsPerStep(settings: TableSettings, sample: CalibrationSample): number {
  return settings.batchSize * sample.secondsPerTrainImage;
}

/** "about 9 h" / "about 25 min". */
export function roughDuration(seconds: number): string {
  if (seconds >= 5400) return `about ${(seconds / 3600).toFixed(seconds >= 36_000 ? 0 : 1)} h`;
  return `about ${Math.max(1, Math.round(seconds / 60))} min`;
}

/** Picks the tables whose minimum fits the budget and sizes them (see the module comment). */
export function planBudget(input: BudgetInput): BudgetPlan {
  const { budget, overrides } = input;
  const wallBudget = Math.max(budget.budgetSeconds - budget.reservedSeconds, 0);
  const parallel = budget.jobs * budget.shards;
  const capacity = wallBudget * parallel;
  const variant = (table: BenchTable, sample: CalibrationSample, rows: string[]): Variant => {
    const minSteps = rowsMinimumSteps(table.id, rows);
    const minimal = minimumSettings(table, input.base.get(table.id) as TableSettings, sample, overrides, minSteps);
    const runs = rows.length * input.seeds;
    const runSeconds = estimateRunSeconds(minimal, sample);
    return { rows, minSteps, minimal, runs, runSeconds, work: runs * runSeconds };
  };
  const costs = input.tables.map((table) => {
    const sample = input.sample(table);
    const rows = selectedRows(table, input.rows);
    const base = tableMinimum(table.id).steps;
    const core = rows.filter((r) => rowMinimumSteps(table.id, r) <= base);
    const full = variant(table, sample, rows);
    // Forced tables run every selected row; otherwise a table starts with the rows that learn at its minimum.
    const start = input.forced || core.length === 0 || core.length === rows.length ? full : variant(table, sample, core);
    return { table, sample, full, ...start };
  });
  const needLine = ({ table, sample }: { table: BenchTable; sample: CalibrationSample }, v: Variant) => {
    const needed = v.work / parallel;
    return {
      needed,
      text:
        `${roughDuration(needed)} here on its own ` +
        `(${v.runs} runs x >= ${stepsOf(v.minimal)} steps x ${secondsPerStep(v.minimal, sample).toFixed(2)} s/step, plus evaluation and start-up, ` +
        `on ${parallel} job(s)); run it with --budget ${Math.ceil((1.1 * needed + budget.reservedSeconds) / 3600)}h --tables ${table.id}`,
    };
  };

  const chosen: typeof costs = [];
  const leftOut: LeftOutTable[] = [];
  if (input.forced) {
    chosen.push(...costs);
  } else {
    let used = 0;
    for (const c of [...costs].sort((a, b) => a.work - b.work || a.table.id - b.table.id)) {
      if (used + c.work <= capacity) {
        chosen.push(c);
        used += c.work;
      } else {
        const need = needLine(c, c);
        leftOut.push({ table: c.table, neededSeconds: need.needed, reason: `its minimum does not fit: it needs ${need.text}` });
      }
    }
    // Rows that learn more slowly come back, cheapest first, while the time allows: they raise their table's length.
    for (const c of [...chosen].sort((a, b) => a.full.work - a.work - (b.full.work - b.work))) {
      if (c.rows.length === c.full.rows.length) continue;
      if (used - c.work + c.full.work <= capacity) {
        used += c.full.work - c.work;
        Object.assign(c, c.full);
        continue;
      }
      const need = needLine(c, c.full);
      for (const row of c.full.rows.filter((r) => !c.rows.includes(r))) {
        leftOut.push({
          table: c.table,
          row,
          neededSeconds: need.needed,
          reason:
            `it learns more slowly than the table's other rows and needs >= ${rowMinimumSteps(c.table.id, row)} steps (experiments/presets.ts, ` +
            `TABLE_MINIMUMS), which do not fit beside the rest; the table with it needs ${need.text}`,
        });
      }
    }
  }
  chosen.sort((a, b) => a.table.id - b.table.id);

  const totalRuns = chosen.reduce((n, c) => n + c.runs, 0);
  const minimumWork = chosen.reduce((n, c) => n + c.work, 0);
  const spare = Math.max(capacity - minimumWork, 0);
  // The sequential stage adds a seed to every row of an undecided claim's table at once (a table's rows must share
  // their settings), so keep time for one such round of the cheapest table, at the training length the first pass
  // gives it, when that is at most SEQUENTIAL_RESERVE of the spare time; otherwise all of it goes to longer training.
  // With `a` runs in that round and `n` runs in all: extra per run = (spare - a * minRun) / (n + a).
  let reserve = 0;
  const cheapestRound = [...chosen].sort((x, y) => x.work - y.work)[0];
  if (!input.forced && cheapestRound !== undefined) {
    const a = cheapestRound.runs / input.seeds;
    const extraIfReserved = (spare - a * cheapestRound.runSeconds) / (chosenRuns(chosen) + a);
    const round = a * (cheapestRound.runSeconds + extraIfReserved);
    if (extraIfReserved > 0 && round <= spare * SEQUENTIAL_RESERVE) reserve = round;
  }
  // Forced tables that do not fit share the budget evenly, below their minimum (warned about).
  const evenShare = totalRuns === 0 ? 0 : capacity / totalRuns;
  const rows = new Map(chosen.map((c) => [c.table.id, c.rows]));
  const selection: Selection = { tables: chosen.map((c) => c.table), rows: input.rows, tableRows: rows, seeds: input.seeds };
  let extra = totalRuns === 0 ? 0 : (spare - reserve) / totalRuns;
  let settings = new Map<number, TableSettings>();
  for (let attempt = 0; attempt < 8; attempt++) {
    settings = new Map();
    for (const c of chosen) {
      const paper = applyOverrides(c.table.paper as TableSettings, { batchSize: overrides.batchSize });
      const fits = minimumWork <= capacity;
      const seconds = fits ? c.runSeconds + extra : evenShare;
      const min = tableMinimum(c.table.id);
      const floors = fits ? { minSteps: c.minSteps, minEvalImages: min.evalImages } : {};
      settings.set(c.table.id, fitToBudget(input.base.get(c.table.id) as TableSettings, paper, c.sample, seconds, overrides, floors));
    }
    // Check against the pool's schedule: whole runs on the first free job leave a tail the even split ignores.
    const runs = planRuns(selection, settings);
    const byTable = new Map(chosen.map((c) => [c.table.id, c.sample]));
    const wall = estimatePlan(runs, (r) => byTable.get(r.config.table) as CalibrationSample, parallel).wallSeconds;
    const target = wallBudget - reserve / parallel;
    if (wall <= target * 1.01 || extra <= 0) break;
    extra = Math.max(0, extra - ((wall - target) * parallel) / Math.max(totalRuns, 1) - 1);
  }

  const warnings: string[] = [];
  for (const c of chosen) {
    const s = settings.get(c.table.id) as TableSettings;
    const min = tableMinimum(c.table.id);
    const evalCount = 'testImages' in s ? s.testImages : s.valImages;
    if (stepsOf(s) < min.steps || evalCount < Math.min(min.evalImages, 'testImages' in c.table.paper ? c.table.paper.testImages : c.table.paper.valImages)) {
      warnings.push(
        `table ${c.table.id} is below its minimum training length (${stepsOf(s)} steps, ${evalCount} test images; it needs >= ${min.steps} steps and ` +
          `${min.evalImages} test images to learn enough to compare its rows): its figures may sit near chance. ` +
          `Its minimum needs ${roughDuration(c.work / parallel)} here; give a larger --budget or fewer --rows / --seeds.`,
      );
    } else if (stepsOf(s) < c.minSteps) {
      const slow = c.rows.filter((r) => rowMinimumSteps(c.table.id, r) > stepsOf(s));
      warnings.push(
        `table ${c.table.id}: row(s) ${slow.join(', ')} learn more slowly and need >= ${c.minSteps} steps (this plan gives ${stepsOf(s)}): ` +
          `their figures measure an unfinished training. With them, the table needs ${roughDuration(c.work / parallel)} here; ` +
          `give a larger --budget, or leave them out with --rows.`,
      );
    }
  }
  return {
    tables: chosen.map((c) => c.table),
    settings,
    rows,
    leftOut: leftOut.sort((a, b) => a.table.id - b.table.id || (a.row === undefined ? -1 : 1)),
    warnings,
    reserveSeconds: reserve / parallel,
  };
}

/** One line per left-out table, for the plan and the report. */
export function leftOutLines(leftOut: readonly LeftOutTable[]): string[] {
  return leftOut.map((l) => {
    const row = l.row === undefined ? undefined : (l.table.rows.find((r) => r.key === l.row)?.label ?? l.row);
    return row === undefined
      ? `table ${l.table.id} (${l.table.title}) left out: ${l.reason}`
      : `table ${l.table.id} (${l.table.title}), row ${row}, left out: ${l.reason}`;
  });
}

