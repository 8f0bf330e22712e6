/**
 * The plan: which runs the bench does (tables x rows x seeds, then this shard's share), their resolved settings,
 * and an estimate of the time they take from a calibration.
 */
import type { PlannedRun, RunConfig } from '../experiments/config.js';
import { applyOverrides, estimateRunSeconds, type Preset, type SettingOverrides, type TableSettings } from '../experiments/presets.js';
import { TABLES, type BenchTable, type ClassificationSettings } from '../experiments/tables.js';
import type { CalibrationSample } from '../runners/types.js';
import { configHash } from './hash.js';

/** A shard: this is shard `index` (1-based) of `count`. */
export interface Shard {
  /** 1-based shard number. */
  index: number;
  /** Number of shards. */
  count: number;
}

/** What the user selected. */
export interface Selection {
  /** Tables to run (already checked to exist and to have a runner). */
  tables: readonly BenchTable[];
  /** Row keys to keep; undefined keeps every row. */
  rows?: readonly string[];
  /** Rows of a table, where the budget planner left some out (it replaces `rows` for that table). */
  tableRows?: ReadonlyMap<number, readonly string[]>;
  /** Seeds per row. */
  seeds: number;
}

/** Whether `selection` runs row `row` of table `table`. */
export function selectsRow(selection: Pick<Selection, 'rows' | 'tableRows'>, table: number, row: string): boolean {
  const own = selection.tableRows?.get(table);
  if (own !== undefined) return own.includes(row);
  return selection.rows === undefined || selection.rows.includes(row);
}

/** Parses `--shard i/n` (1 <= i <= n). */
export function parseShard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = match ? Number(match[1]) : NaN;
  const count = match ? Number(match[2]) : NaN;
  if (!match || count < 1 || index < 1 || index > count) {
    throw new RangeError(`--shard must be i/n with 1 <= i <= n (e.g. 2/4), got '${text}'`);
  }
  return { index, count };
}

/**
 * This shard's runs: every `count`-th run of the full plan starting at `index - 1`. Deterministic (the full plan's
 * order is fixed: table, row, seed), balanced across tables, and every run is in exactly one shard.
 */
export function shardRuns<T>(runs: readonly T[], shard: Shard | undefined): T[] {
  if (shard === undefined) return [...runs];
  return runs.filter((_, i) => i % shard.count === shard.index - 1);
}

/** Checks `--rows` against the selected tables; a RangeError lists the valid keys. */
export function checkRows(tables: readonly BenchTable[], rows: readonly string[] | undefined): void {
  if (rows === undefined) return;
  const known = new Set(tables.flatMap((t) => t.rows.map((r) => r.key)));
  for (const row of rows) {
    if (!known.has(row)) throw new RangeError(`--rows: unknown row '${row}' (the selected tables have ${[...known].join(', ')})`);
  }
}

/** The config of one (table, row, seed) with `settings`. */
export function runConfig(table: BenchTable, rowKey: string, seed: number, settings: TableSettings): RunConfig {
  const row = table.rows.find((r) => r.key === rowKey);
  if (row === undefined) throw new RangeError(`table ${table.id} has no row '${rowKey}'`);
  if (table.runner === 'classification') {
    return {
      runner: 'classification',
      table: table.id,
      row: row.key,
      seed,
      dataset: table.dataset,
      network: table.network,
      inputShape: table.inputShape,
      regularizer: row.regularizer,
      settings: settings as ClassificationSettings,
    };
  }
  return { runner: 'detection', table: table.id, row: row.key, seed, dataset: 'coco', regularizer: row.regularizer, settings: settings as never };
}

/** Readable id of a run: `t1-dropBlock3-s2`. */
export function runId(config: RunConfig): string {
  return `t${config.table}-${config.row}-s${config.seed}`;
}

/** Settings of each selected table, before budget sizing: the preset's, with the user's flags applied. */
export function baseSettings(preset: Preset, tables: readonly BenchTable[], overrides: SettingOverrides): Map<number, TableSettings> {
  return new Map(tables.map((t) => [t.id, applyOverrides(preset.settings(t), overrides)]));
}

/** The budget of a plan (see budget.ts, `planBudget`). */
export interface BudgetOptions {
  /** Seconds the whole bench (all shards together, each on its own machine) should take. */
  budgetSeconds: number;
  /** Parallel jobs per machine. */
  jobs: number;
  /** Number of shards (machines). */
  shards: number;
  /** Calibration seconds to leave out of the budget. */
  reservedSeconds: number;
}

/** Expands the selection into runs in the canonical order (table, row, seed); `shard` keeps this shard's share. */
export function planRuns(selection: Selection, settings: Map<number, TableSettings>, shard?: Shard): PlannedRun[] {
  const all: PlannedRun[] = [];
  for (const table of selection.tables) {
    for (const row of table.rows) {
      if (!selectsRow(selection, table.id, row.key)) continue;
      for (let seed = 1; seed <= selection.seeds; seed++) {
        const config = runConfig(table, row.key, seed, settings.get(table.id) as TableSettings);
        all.push({ id: runId(config), config, hash: configHash(config) });
      }
    }
  }
  return shardRuns(all, shard);
}

/** The plan's time estimate. */
export interface Estimate {
  /** Estimated seconds of each run, in plan order. */
  perRun: number[];
  /** Sum of the runs' seconds (one job's worth of work). */
  workSeconds: number;
  /** Wall seconds with `jobs` runs at once, each next run on the first free job (as the bench schedules them). */
  wallSeconds: number;
}

/** Estimates the wall time of `runs` on `jobs` parallel jobs from one calibration sample per run. */
export function estimatePlan(runs: readonly PlannedRun[], sampleOf: (run: PlannedRun) => CalibrationSample, jobs: number): Estimate {
  const perRun = runs.map((r) => estimateRunSeconds(r.config.settings, sampleOf(r)));
  const free = new Array<number>(Math.max(1, jobs)).fill(0);
  for (const seconds of perRun) {
    let k = 0;
    for (let j = 1; j < free.length; j++) if (free[j] < free[k]) k = j;
    free[k] += seconds;
  }
  return { perRun, workSeconds: perRun.reduce((a, b) => a + b, 0), wallSeconds: Math.max(...free) };
}

/** Every table in canonical order, for `--tables` defaults. */
export function allTables(): readonly BenchTable[] {
  return TABLES;
}

/** `1:02:03` / `4:05` style duration. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const mm = String(m).padStart(h > 0 ? 2 : 1, '0');
  return h > 0 ? `${h}:${mm}:${String(sec).padStart(2, '0')}` : `${mm}:${String(sec).padStart(2, '0')}`;
}
