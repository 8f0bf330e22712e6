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
import { resolveDataDir } from '@db/datasets';
import { parseBackendName } from '@db/backend';
import type { RunConfig } from './experiments/config.js';
import { describeRunData } from './experiments/data-source.js';
import { MIN_EVAL_IMAGES, MIN_TRAIN_BATCHES, presetByName, type SettingOverrides, type TableSettings } from './experiments/presets.js';
import { TABLES, tableById, type BenchTable } from './experiments/tables.js';
import { calibrateInWorker, coreCount, executeRuns, gitCommit } from './exec/pool.js';
import { ProgressDisplay } from './exec/progress.js';
import { HELP, list, parseBenchArgs, positiveInt, positiveNumber, type BenchArgs } from './cli/args.js';
import { calibrationKey, readCalibration, writeCalibration, type CalibrationFile } from './plan/calibration.js';
import {
  baseSettings,
  checkRows,
  estimatePlan,
  formatDuration,
  parseShard,
  planRuns,
  runConfig,
  sizeSettings,
  type Selection,
} from './plan/plan.js';
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
  if ('augmentation' in s) parts.push(`augmentation ${s.augmentation}`);
  if ('network' in s && Object.keys(s.network).length > 0) parts.push(`network ${JSON.stringify(s.network)}`);
  return parts.join(', ');
}

/** Calibrates every runner key the configs need that the cache lacks; returns a lookup. */
async function calibrate(
  configs: readonly RunConfig[],
  cache: CalibrationFile,
  options: { file: string; threads: number; backend?: string; dataDir?: string; steps: number },
): Promise<(config: RunConfig) => CalibrationSample> {
  const keyOf = async (c: RunConfig) => calibrationKey(options.backend ?? 'auto', options.threads, (await loadRunner(c.runner)).calibrationKey(c as never));
  const keys = await Promise.all(configs.map(keyOf));
  const missing: RunConfig[] = [];
  const missingKeys: string[] = [];
  keys.forEach((k, i) => {
    if (cache.samples[k] === undefined && !missingKeys.includes(k)) {
      missing.push(configs[i]);
      missingKeys.push(k);
    }
  });
  if (missing.length > 0) {
    out(`calibration: timing ${missing.length} network configuration(s) with ${options.threads} thread(s) (${options.steps} step(s) each)...`);
    const t0 = performance.now();
    const { samples } = await calibrateInWorker(missing, {
      threads: options.threads,
      backend: options.backend,
      dataDir: options.dataDir,
      steps: options.steps,
      onSample: (i, s) => out(`  ${s.note}: ${(1 / s.secondsPerTrainImage).toFixed(1)} train img/s, ${(1 / s.secondsPerEvalImage).toFixed(0)} eval img/s, setup ${s.setupSeconds.toFixed(1)} s`),
    }).catch((error: unknown) => {
      // One line, and not an internal error: the reason (out of memory, Ctrl-C) is the worker's.
      throw new UserError(error instanceof Error ? error.message : String(error));
    });
    samples.forEach((s, i) => (cache.samples[missingKeys[i]] = s));
    cache.seconds += (performance.now() - t0) / 1000;
    writeCalibration(options.file, cache);
  } else {
    out(`calibration: reusing ${options.file}`);
  }
  const byConfig = new Map(configs.map((c, i) => [c, cache.samples[keys[i]]]));
  return (config) => {
    const hit = byConfig.get(config);
    if (hit) return hit;
    const same = configs.findIndex((c) => c.table === config.table);
    return cache.samples[keys[same]];
  };
}

async function runCommand(args: BenchArgs): Promise<number> {
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
  const selection: Selection = { tables, rows, seeds };

  out(`pnpm bench, preset ${preset.name}: ${preset.description}`);
  for (const s of skipped) out(`  ${s}`);

  // Data first: calibration and runs need it, and a missing dataset should cost one line, not a failed run each.
  const base = baseSettings(preset, tables, overrides);
  const probe = tables.map((t) => runConfig(t, (rows ? t.rows.find((r) => rows.includes(r.key)) ?? t.rows[0] : t.rows[0]).key, 1, base.get(t.id) as TableSettings));
  const problems: string[] = [];
  for (const kind of new Set(probe.map((c) => c.runner))) {
    problems.push(...(await (await loadRunner(kind)).checkData(probe.filter((c) => c.runner === kind) as never, dataDir)));
  }
  if (problems.length > 0) throw new UserError(problems.join('\n'));

  const cache = f.recalibrate ? { format: 1 as const, samples: {}, seconds: 0 } : readCalibration(calibrationFile);
  const sampleOf = await calibrate(probe, cache, {
    file: calibrationFile,
    threads,
    backend: f.backend,
    dataDir,
    steps: preset.name === 'quick' ? 1 : 3,
  });
  const settings = preset.budgetSized
    ? sizeSettings(base, selection, (t, s) => sampleOf(runConfig(t, t.rows[0].key, 1, s)), { budgetSeconds, jobs, shards: shard?.count ?? 1, reservedSeconds: cache.seconds }, overrides)
    : base;
  const runs = planRuns(selection, settings, shard);

  const expected = new Map(runs.map((r) => [r.id, r.hash]));
  const conflicts = hashConflicts(existing.records.filter((r) => expected.has(r.runId)), expected);
  if (conflicts.length > 0) {
    throw new UserError(
      `${outDir} holds results of the same runs under other settings (${conflicts[0]}${conflicts.length > 1 ? `, and ${conflicts.length - 1} more` : ''}); ` +
        'pass --out DIR for a new results folder, or rerun with the settings that wrote them',
    );
  }
  // Other runs of a planned table (another row or seed) must share its settings, or the report would mix them.
  const planned = new Map(runs.map((r) => [r.config.table, r.config]));
  const mixed = mixedSettings(existing.records.filter((r) => planned.has(r.table)), planned);
  if (mixed.length > 0) {
    throw new UserError(`${outDir} holds ${mixed.join('; ')}; pass --out DIR for a new results folder, or rerun with the settings that wrote them`);
  }
  // A shard's plan, so that `pnpm bench slurm --resume` can tell which shards have unfinished runs.
  if (shard !== undefined) writeShardPlan(outDir, shard, runs);
  const done = finishedHashes(existing.records);
  const pending = runs.filter((r) => !done.has(r.hash));
  const estimate = estimatePlan(pending, (r) => sampleOf(r.config), jobs);

  out();
  out(`plan: ${runs.length} run(s)${shard ? ` (shard ${shard.index}/${shard.count})` : ''}: ${tables.length} table(s) x rows x ${seeds} seed(s); ${runs.length - pending.length} already finished in ${outDir}`);
  for (const table of tables) {
    const s = settings.get(table.id) as TableSettings;
    const mine = pending.filter((r) => r.config.table === table.id);
    const seconds = mine.reduce((sum, r) => sum + estimate.perRun[pending.indexOf(r)], 0);
    out(`  table ${table.id} ${table.title}: ${describeSettings(s)}; ${mine.length} run(s) to do, ~${formatDuration(seconds)} of work`);
  }
  out(`  every table: ${tables[0]?.assumptions.find((a) => a.startsWith('DropBlock rows')) ?? ''}`);
  out(`  assumptions the report leaves open: pnpm bench report lists them per table; the main ones: Adam 1e-3, final-epoch test accuracy.`);
  out(
    `estimate: ~${formatDuration(estimate.wallSeconds)} wall with ${jobs} job(s) x ${threads} thread(s) (${formatDuration(estimate.workSeconds)} of run time; from the calibration in ${calibrationFile})` +
      (preset.budgetSized ? `; budget ${formatDuration(budgetSeconds)}, of which the calibration took ${formatDuration(cache.seconds)}` : ''),
  );
  if (preset.budgetSized && estimate.wallSeconds > (budgetSeconds - cache.seconds) * 1.1) {
    out(
      `warning: the estimate exceeds the ${formatDuration(budgetSeconds)} budget: runs are already at their smallest (${MIN_TRAIN_BATCHES} batches, ` +
        `${MIN_EVAL_IMAGES} test images) on this machine; give a larger --budget, or fewer --tables, --rows or --seeds`,
    );
  }
  const data = await describeRunData(runs.map((r) => r.config), dataDir); // named here and in every record
  for (const line of data.lines) out(line);
  out(`results: ${resultFile}`);
  if (f['dry-run']) {
    out('dry run: stopping before training.');
    return 0;
  }
  if (pending.length === 0) {
    out('nothing to do: every run of the plan has finished.');
  } else {
    const display = new ProgressDisplay(pending, estimate.perRun, jobs, process.stdout.isTTY === true);
    const summary = await executeRuns({
      runs: pending,
      displayIndex: pending.map((_, i) => i),
      jobs,
      threads,
      backend: f.backend,
      dataDir,
      resultFile,
      preset: preset.name,
      commit: gitCommit(),
      data: data.sources,
      display,
    });
    out(`bench: ${summary.finished} finished, ${summary.failed} failed${summary.interrupted ? ', stopped by the user' : ''} in ${formatDuration(summary.seconds)}`);
    if (summary.interrupted) return 130;
    if (!f['no-report']) await reportCommand({ ...args, flags: { ...f, out: outDir } });
    return summary.failed > 0 ? 1 : 0;
  }
  if (!f['no-report']) await reportCommand({ ...args, flags: { ...f, out: outDir } });
  return 0;
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
  const written = await writeReport(records, dir, source);
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

