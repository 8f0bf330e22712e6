import { readFileSync } from 'node:fs';
import { presetByName, stepsOf } from './apps/bench/src/experiments/presets.js';
import { TABLES } from './apps/bench/src/experiments/tables.js';
import { planBudget } from './apps/bench/src/plan/budget.js';
import { baseSettings, estimatePlan, planRuns } from './apps/bench/src/plan/plan.js';
import { runConfig } from './apps/bench/src/plan/plan.js';
import { calibrationKey } from './apps/bench/src/plan/calibration.js';
import { loadRunner } from './apps/bench/src/runners/registry.js';
const cal = JSON.parse(readFileSync('/tmp/bw/cal/calibration.json', 'utf8'));
const preset = presetByName('default');
const base = baseSettings(preset, TABLES, {});
const samples = new Map<number, any>();
for (const t of TABLES) {
  const c = runConfig(t, t.rows[0].key, 1, base.get(t.id)!);
  const key = calibrationKey('auto', 1, (await loadRunner(t.runner)).calibrationKey(c as never));
  const s = cal.samples[key];
  // the 21:29 calibration (light load) predates the overhead / load / BN-pass terms: add the measured overhead (9.7 s, quick dry run) and BN pass at 2x eval
  samples.set(t.id, { ...s, setupSeconds: s.setupSeconds + 9.7 });
}
const p = planBudget({ tables: TABLES, forced: false, seeds: 2, base, sample: (t) => samples.get(t.id), budget: { budgetSeconds: 3600, jobs: 2, shards: 1, reservedSeconds: 90 }, overrides: {} });
for (const t of p.tables) { const s = p.settings.get(t.id)!; console.log(t.id, s.trainImages, s.epochs, stepsOf(s)); }
for (const l of p.leftOut) console.log('out', l.table.id, l.reason);
console.log('reserve', p.reserveSeconds, 'wall', estimatePlan(planRuns({ tables: p.tables, seeds: 2 }, p.settings), (r) => samples.get(r.config.table), 2).wallSeconds);
