/**
 * The sequential stage of a budget-sized bench: after the first pass (2 seeds per row), rows whose claim is still
 * undecided get one more seed per round while the budget lasts (bench.ts stops a round that does not fit). A
 * sequential design spends seeds where the verdict is still open instead of everywhere.
 */
import type { PlannedRun } from '../experiments/config.js';
import type { TableSettings } from '../experiments/presets.js';
import { primaryMetric, tableById, type BenchTable } from '../experiments/tables.js';
import { CLAIMS, judgeClaim } from '../report/claims.js';
import { buildReportModel } from '../report/summary.js';
import { effectiveRecords, type RunRecord } from '../results/store.js';
import { configHash } from './hash.js';
import { runConfig, runId, selectsRow, type Selection } from './plan.js';

/**
 * The next round of the sequential stage: for every claim still "not resolved" on the planned tables, one more
 * seed (the next number) for each of its rows, with the first pass's settings. Empty when every claim is decided.
 */
export function addSeedsRound(
  records: readonly RunRecord[],
  tables: readonly BenchTable[],
  settings: Map<number, TableSettings>,
  selection: Pick<Selection, 'rows' | 'tableRows'>,
): PlannedRun[] {
  const model = buildReportModel(records);
  const values = new Map(
    model.tables.map((t) => [t.table.id, new Map(t.rows.map((r) => [r.row.key, r.metrics[primaryMetric(t.table).key]?.values ?? []]))] as const),
  );
  const ids = new Set(tables.map((t) => t.id));
  const wanted = new Map<number, Set<string>>();
  for (const claim of CLAIMS) {
    const mine = claim.tables.filter((t) => ids.has(t));
    if (mine.length === 0) continue;
    if (judgeClaim({ ...claim, tables: mine }, values).verdict !== 'not resolved') continue;
    for (const t of mine) {
      const table = tableById(t);
      const keys =
        claim.kind === 'beats' ? [...claim.better, ...claim.than] : table.rows.map((r) => r.key);
      for (const k of keys) if (selectsRow(selection, t, k)) (wanted.get(t) ?? wanted.set(t, new Set()).get(t))?.add(k);
    }
  }
  const ok = effectiveRecords(records).filter((r) => r.status === 'ok');
  const round: PlannedRun[] = [];
  for (const [t, keys] of wanted) {
    const table = tableById(t);
    for (const key of keys) {
      if (!table.rows.some((r) => r.key === key)) continue;
      const seeds = ok.filter((r) => r.table === t && r.row === key).map((r) => r.seed);
      const config = runConfig(table, key, Math.max(0, ...seeds) + 1, settings.get(t) as TableSettings);
      round.push({ id: runId(config), config, hash: configHash(config) });
    }
  }
  return round;
}
