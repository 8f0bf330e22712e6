/**
 * Turns result records into what the report shows: per table and row, the seeds' final values (mean, sd, n), the
 * report's figure and the difference; per-epoch means for the plots; the verdicts; the failed runs; the environment.
 */
import { primaryMetric, TABLES, type BenchTable, type TableRow } from '../experiments/tables.js';
import { effectiveRecords, mixedSettings, type RunRecord } from '../results/store.js';
import { CLAIMS, judgeClaim, type Verdict } from './claims.js';
import { mean, sampleSd } from './stats.js';

/** Mean, sd and count of one quantity over seeds. */
export interface Spread {
  /** Mean over seeds. */
  mean: number;
  /** Sample sd over seeds (NaN for one seed). */
  sd: number;
  /** Seeds. */
  n: number;
  /** The values, one per seed. */
  values: number[];
}

/** One row of a table in the bench's report. */
export interface RowSummary {
  /** The report's row. */
  row: TableRow;
  /** Final metrics over seeds, by metric name (`accuracy`, `loss`, `valLoss`, `mAP`, ...). */
  metrics: Record<string, Spread>;
  /** Per-epoch means over seeds, by metric name: `[epoch, mean]` pairs. */
  curves: Record<string, Array<[number, number]>>;
  /** Failed runs of this row (no ok record). */
  failed: RunRecord[];
}

/** One table in the bench's report. */
export interface TableSummary {
  /** The table. */
  table: BenchTable;
  /** Rows with at least one record. */
  rows: RowSummary[];
  /** Settings the runs used (every record of a table has the same: see `mixedSettings`). */
  settings: RunRecord['config']['settings'] | undefined;
}

/** Everything the report renders. */
export interface ReportModel {
  /** Tables with records. */
  tables: TableSummary[];
  /** One verdict per claim. */
  verdicts: Verdict[];
  /** Ok and failed records that count. */
  records: RunRecord[];
}

function spread(values: number[]): Spread {
  return { mean: mean(values), sd: sampleSd(values), n: values.length, values };
}

/** Builds the report's model from result records (duplicates and superseded failures removed first). */
export function buildReportModel(all: readonly RunRecord[]): ReportModel {
  const records = effectiveRecords(all);
  // One table, one set of settings: its rows are compared with each other and judged together.
  const mixed = mixedSettings(records);
  if (mixed.length > 0) throw new RangeError(`${mixed.join('; ')}: a report needs one set of settings per table`);
  const ok = records.filter((r) => r.status === 'ok');
  const tables: TableSummary[] = [];
  for (const table of TABLES) {
    const mine = records.filter((r) => r.table === table.id);
    if (mine.length === 0) continue;
    const rows: RowSummary[] = [];
    for (const row of table.rows) {
      const runs = ok.filter((r) => r.table === table.id && r.row === row.key).sort((a, b) => a.seed - b.seed);
      const failed = records.filter(
        (r) => r.status === 'failed' && r.table === table.id && r.row === row.key && !runs.some((o) => o.seed === r.seed),
      );
      if (runs.length === 0 && failed.length === 0) continue;
      const metrics: Record<string, Spread> = {};
      for (const key of new Set(runs.flatMap((r) => Object.keys(r.metrics ?? {})))) {
        metrics[key] = spread(runs.map((r) => r.metrics?.[key]).filter((v): v is number => typeof v === 'number'));
      }
      const curves: Record<string, Array<[number, number]>> = {};
      for (const key of ['accuracy', 'loss', 'valLoss'] as const) {
        const epochs = Math.max(0, ...runs.map((r) => r.history.length));
        const points: Array<[number, number]> = [];
        for (let e = 1; e <= epochs; e++) {
          const vals = runs.map((r) => r.history.find((h) => h.epoch === e)?.[key]).filter((v): v is number => typeof v === 'number');
          if (vals.length > 0) points.push([e, mean(vals)]);
        }
        if (points.length > 0) curves[key] = points;
      }
      rows.push({ row, metrics, curves, failed });
    }
    tables.push({ table, rows, settings: mine.find((r) => r.status === 'ok')?.config.settings ?? mine[0].config.settings });
  }
  const values = new Map(
    tables.map((t) => {
      const key = primaryMetric(t.table).key;
      return [t.table.id, new Map(t.rows.map((r) => [r.row.key, r.metrics[key]?.values ?? []]))] as const;
    }),
  );
  const verdicts = CLAIMS.map((c) => judgeClaim(c, values));
  return { tables, verdicts, records };
}

/** The report's figure of a row for the table's primary metric. */
export function reportedValue(row: TableRow, key: 'accuracy' | 'valLoss' | 'loss'): number | undefined {
  const r = row.reported as Record<string, number>;
  return r[key];
}
