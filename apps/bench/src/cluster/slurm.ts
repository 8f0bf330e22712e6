/**
 * `pnpm bench slurm`: the bench as a Slurm job array, one array task per shard, all writing into one shared
 * `--out` folder, and a merge + report job after them.
 *
 * Three jobs, chained with sbatch dependencies:
 *  1. calibrate: `pnpm bench ... --shard 1/N --dry-run` on a compute node with the shards' resources. It writes
 *     OUT/calibration.json. One calibration for every shard: a budget-sized plan depends on the measured speeds, so
 *     shards that calibrated themselves could size the same run differently (and then its hash, and its results,
 *     would differ between shards). Skipped when OUT/calibration.json exists (a resume, or `--calibration FILE`).
 *  2. shards: an array job, tasks 1..N (task i is shard i/N, so `squeue`'s `123_4` is results-shard-4-of-N), each
 *     `pnpm bench ... --shard i/N --calibration OUT/calibration.json --no-report`; `afterok` on 1.
 *  3. report: `pnpm bench merge --out OUT && pnpm bench report --out OUT`; `afterany` on 2, so the finished runs of
 *     failed or cancelled shards are reported too.
 *
 * `--resume` resubmits only the shards whose plan has unfinished runs (see shards.ts), plus a new report job. A
 * resubmitted shard repeats nothing: the bench skips every run that has an ok record in the folder.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BenchArgs } from '../cli/args.js';
import { positiveInt } from '../cli/args.js';
import { presetByName } from '../experiments/presets.js';
import { resultFileName } from '../results/store.js';
import { commandLine, ExternalCommandError, runExternal } from './external.js';
import { forwardedBenchArgs, REPO_ROOT, rejectFlagsOf, shardCount, shellLine, shellQuote } from './options.js';
import { compactRanges, shardStates, type ShardState } from './shards.js';

/** sbatch options shared by the calibration and shard jobs (the report job takes partition, account and time). */
export interface SbatchOptions {
  partition?: string;
  account?: string;
  /** Per job, Slurm's format (`90`, `12:00:00`, `2-00:00:00`). */
  time?: string;
  gpusPerTask?: string;
  cpus?: number;
  /** Slurm's --mem (`16G`). */
  memory?: string;
}

/** Everything the three scripts depend on. */
export interface SlurmSetup {
  /** The shared results folder (absolute). */
  outDir: string;
  /** Number of shards. */
  shards: number;
  /** Bench flags every job receives (from {@link forwardedBenchArgs}). */
  benchArgs: string[];
  sbatch: SbatchOptions;
  /** Repository root the jobs `cd` into (shared with the compute nodes). */
  root: string;
  /** Pass --recalibrate to the calibration job. */
  recalibrate?: boolean;
}

/** The three job scripts. */
export interface SlurmScripts {
  calibrate: string;
  shards: string;
  report: string;
}

/** OUT/slurm: scripts, job logs and the submission record. */
export function slurmDir(outDir: string): string {
  return path.join(outDir, 'slurm');
}

/** The calibration file every shard reads. */
export function calibrationFileOf(outDir: string): string {
  return path.join(outDir, 'calibration.json');
}

function directives(name: string, output: string, s: SbatchOptions, compute: boolean): string[] {
  const lines = [`#SBATCH --job-name=${name}`, `#SBATCH --output=${output}`, '#SBATCH --ntasks=1'];
  if (s.partition) lines.push(`#SBATCH --partition=${s.partition}`);
  if (s.account) lines.push(`#SBATCH --account=${s.account}`);
  if (s.time) lines.push(`#SBATCH --time=${s.time}`);
  if (compute) {
    if (s.cpus !== undefined) lines.push(`#SBATCH --cpus-per-task=${s.cpus}`);
    if (s.memory) lines.push(`#SBATCH --mem=${s.memory}`);
    if (s.gpusPerTask) lines.push(`#SBATCH --gpus-per-task=${s.gpusPerTask}`);
  }
  return lines;
}

const PREAMBLE = [
  'set -uo pipefail',
  // sbatch exports the submitting shell's environment (PATH included), so pnpm is found where it was found at submit.
  'command -v pnpm >/dev/null 2>&1 || { echo "pnpm is not on PATH on $(hostname)" >&2; exit 127; }',
];

/** The calibration, shard and report scripts of a submission. Pure: the tests compare them. */
export function slurmScripts(setup: SlurmSetup): SlurmScripts {
  const { outDir, shards, benchArgs, sbatch, root } = setup;
  const logs = slurmDir(outDir);
  const q = shellQuote;
  const bench = (extra: string[]) => `pnpm bench ${shellLine([...benchArgs, ...extra])}`;
  const header = (what: string) => [`#!/bin/bash`, `# pnpm bench slurm: ${what}. Written by apps/bench/src/cluster/slurm.ts; submitted with sbatch.`];
  const calibrate = [
    ...header(`the one calibration every shard of ${outDir} reads (OUT/calibration.json)`),
    ...directives('db-bench-calibrate', path.join(logs, 'calibrate-%j.out'), sbatch, true),
    ...PREAMBLE,
    `cd ${q(root)}`,
    `echo "calibration for ${shards} shard(s) on $(hostname), job $SLURM_JOB_ID"`,
    // A dry run plans, checks the data and calibrates, then stops before training. --shard 1/N so that its
    // printed estimate is one shard's.
    bench(['--out', outDir, '--shard', `1/${shards}`, '--dry-run', ...(setup.recalibrate ? ['--recalibrate'] : [])]),
  ];
  const shardLines = [
    ...header(`shard $SLURM_ARRAY_TASK_ID of ${shards} (an array job, --array=1-${shards}: task i is shard i)`),
    ...directives('db-bench-shards', path.join(logs, 'shard-%a-job-%A.out'), sbatch, true),
    ...PREAMBLE,
    `cd ${q(root)}`,
    `echo "shard $SLURM_ARRAY_TASK_ID/${shards} on $(hostname), job \${SLURM_ARRAY_JOB_ID}_$SLURM_ARRAY_TASK_ID"`,
    bench(['--out', outDir, '--calibration', calibrationFileOf(outDir), '--shard', `$SLURM_ARRAY_TASK_ID/${shards}`, '--no-report']).replace(
      `'$SLURM_ARRAY_TASK_ID/${shards}'`,
      `"$SLURM_ARRAY_TASK_ID/${shards}"`,
    ),
  ];
  const report = [
    ...header('merge the shards\' result files into OUT/results.jsonl, then write report.md and report.html'),
    ...directives('db-bench-report', path.join(logs, 'report-%j.out'), { partition: sbatch.partition, account: sbatch.account, time: sbatch.time }, false),
    ...PREAMBLE,
    `cd ${q(root)}`,
    `pnpm bench merge --out ${q(outDir)} && pnpm bench report --out ${q(outDir)}`,
  ];
  return { calibrate: `${calibrate.join('\n')}\n`, shards: `${shardLines.join('\n')}\n`, report: `${report.join('\n')}\n` };
}

/** The job id of `sbatch --parsable`'s output (`123` or `123;cluster`). */
export function parseSbatchJobId(stdout: string, line: string): string {
  const text = stdout.trim();
  const match = /^(\d+)(;\S+)?$/.exec(text);
  if (!match) throw new ExternalCommandError(`${line}: expected a job id from --parsable, got '${text.slice(0, 200)}'`);
  return match[1];
}

/** One submission (the first, or a resume). */
export interface SubmissionEntry {
  submittedAt: string;
  /** The calibration job, when one was submitted. */
  calibrationJob?: string;
  /** The array job of the shards; undefined when every shard had finished. */
  arrayJob?: string;
  /** Shard indices submitted. */
  shards: number[];
  /** The merge + report job. */
  reportJob?: string;
}

/** OUT/slurm/submission.json: what `--resume` needs to submit the same bench again. */
export interface SubmissionRecord {
  format: 1;
  shards: number;
  benchArgs: string[];
  sbatch: SbatchOptions;
  root: string;
  submissions: SubmissionEntry[];
}

function submissionFile(outDir: string): string {
  return path.join(slurmDir(outDir), 'submission.json');
}

function readSubmission(outDir: string): SubmissionRecord | undefined {
  const file = submissionFile(outDir);
  if (!existsSync(file)) return undefined;
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as SubmissionRecord;
    if (parsed.format !== 1 || !Number.isInteger(parsed.shards) || !Array.isArray(parsed.benchArgs)) throw new Error('unknown format');
    return parsed;
  } catch (error) {
    throw new RangeError(`${file} is not a pnpm bench slurm submission record (${error instanceof Error ? error.message : String(error)})`);
  }
}

function writeSubmission(outDir: string, record: SubmissionRecord): void {
  const file = submissionFile(outDir);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(record, null, 2)}\n`);
  renameSync(tmp, file);
}

const TIME = /^(\d+-)?\d+(:\d{1,2}){0,2}$|^(\d+-\d+)$|^(UNLIMITED|INFINITE)$/i;

/** sbatch options from the flags, each checked (Slurm's own error comes later, and names the flag less clearly). */
export function sbatchOptions(flags: BenchArgs['flags']): SbatchOptions {
  const name = (value: string | undefined, flag: string) => {
    if (value !== undefined && !/^[\w.,-]+$/.test(value)) throw new RangeError(`--${flag} must be a Slurm ${flag} name (letters, digits, . _ , -), got '${value}'`);
    return value;
  };
  if (flags.time !== undefined && !TIME.test(flags.time)) {
    throw new RangeError(`--time must be a Slurm time limit (minutes, HH:MM:SS or D-HH:MM:SS), got '${flags.time}'`);
  }
  if (flags['gpus-per-task'] !== undefined && !/^([\w-]+:)?[1-9]\d*$/.test(flags['gpus-per-task'])) {
    throw new RangeError(`--gpus-per-task must be a count or type:count (e.g. 1, a100:2), got '${flags['gpus-per-task']}'`);
  }
  if (flags.memory !== undefined && !/^[1-9]\d*[KMGT]?$/i.test(flags.memory)) {
    throw new RangeError(`--memory must be Slurm's --mem: a size in megabytes or with K, M, G or T (e.g. 16G), got '${flags.memory}'`);
  }
  return {
    partition: name(flags.partition, 'partition'),
    account: name(flags.account, 'account'),
    time: flags.time,
    gpusPerTask: flags['gpus-per-task'],
    cpus: positiveInt(flags.cpus, 'cpus'),
    memory: flags.memory,
  };
}

/** Removes undefined fields (so that a resume's overrides only replace what was given). */
function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

const out = (line = '') => process.stdout.write(`${line}\n`);

function describeStates(states: readonly ShardState[], count: number): string[] {
  return states.map(
    (s) =>
      `  shard ${s.index}/${count}: ` +
      (s.planned === undefined ? 'not started (no plan file)' : `${s.finished} of ${s.planned} run(s) finished${s.complete ? '' : ', incomplete'}`),
  );
}

/** Job ids of `ids` that squeue still lists (pending, running, ...), with their state. */
function queuedJobs(ids: readonly string[]): string[] {
  if (ids.length === 0) return [];
  let text: string;
  try {
    text = runExternal('squeue', ['--noheader', '--format=%i %T', `--jobs=${ids.join(',')}`]);
  } catch (error) {
    // squeue exits 1 with "Invalid job id specified" when none of the jobs is known any more: nothing queued.
    if (error instanceof ExternalCommandError && /invalid job id/i.test(error.stderr)) return [];
    throw error;
  }
  return text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
}

/** `pnpm bench slurm`. */
export function slurmCommand(args: BenchArgs): number {
  const f = args.flags;
  rejectFlagsOf(args, ['image', 'gpus', 'pvc', 'storage'], 'k8s');
  const outDir = path.resolve(f.out ?? path.join('bench-results', presetByName(f.preset).name));
  // #SBATCH lines are split at whitespace by sbatch, and the folder appears in them (--output).
  if (/[\s"'\\]/.test(outDir)) throw new RangeError(`--out: a folder for Slurm cannot contain spaces or quotes (it goes into #SBATCH lines), got '${outDir}'`);
  if (f.calibration !== undefined) throw new RangeError('--calibration: pnpm bench slurm calibrates once itself into OUT/calibration.json; copy your file there instead');
  if (f.shard !== undefined) throw new RangeError('--shard: pnpm bench slurm submits every shard (--shards N); use --shard with a plain pnpm bench');
  const overrides = sbatchOptions(f);
  let setup: SlurmSetup;
  let shardsToSubmit: number[];
  const previous = readSubmission(outDir);
  if (f.resume) {
    if (previous === undefined) {
      throw new RangeError(`--resume: no Slurm submission in ${outDir} (no ${path.relative(process.cwd(), submissionFile(outDir)) || submissionFile(outDir)}); pass the --out of the first pnpm bench slurm`);
    }
    const given = forwardedBenchArgs({ ...f, preset: undefined as unknown as string });
    if (given.length > 0 || (f.preset !== 'default' && !previous.benchArgs.join(' ').includes(`--preset ${f.preset}`))) {
      throw new RangeError(`--resume reuses the bench flags of the first submission (${shellLine(previous.benchArgs)}); pass only --out and cluster flags, not ${given.join(' ') || `--preset ${f.preset}`}`);
    }
    const shards = shardCount(f, false);
    if (shards !== undefined && shards !== previous.shards) throw new RangeError(`--resume: ${outDir} was submitted with --shards ${previous.shards}, not ${shards}`);
    setup = { outDir, shards: previous.shards, benchArgs: previous.benchArgs, sbatch: { ...previous.sbatch, ...defined(overrides) }, root: REPO_ROOT };
    const last = previous.submissions.at(-1);
    const ids = [last?.calibrationJob, last?.arrayJob, last?.reportJob].filter((id): id is string => id !== undefined);
    if (!f['dry-run']) {
      const queued = queuedJobs(ids);
      if (queued.length > 0) {
        throw new RangeError(`--resume: jobs of the last submission are still queued (${queued.join(', ')}); wait for them or scancel ${ids.join(' ')}, then resume`);
      }
    }
    const states = shardStates(outDir, setup.shards);
    out(`pnpm bench slurm --resume: ${outDir}, ${setup.shards} shard(s)`);
    describeStates(states, setup.shards).forEach((l) => out(l));
    shardsToSubmit = states.filter((s) => !s.complete).map((s) => s.index);
  } else {
    if (previous !== undefined && !f['dry-run']) {
      throw new RangeError(`${outDir} already has a Slurm submission (${submissionFile(outDir)}); resubmit unfinished shards with --resume, or pass another --out`);
    }
    const shards = shardCount(f, true) as number;
    setup = { outDir, shards, benchArgs: forwardedBenchArgs(f), sbatch: overrides, root: REPO_ROOT, recalibrate: f.recalibrate };
    shardsToSubmit = Array.from({ length: shards }, (_, i) => i + 1);
  }

  const scripts = slurmScripts(setup);
  const dir = slurmDir(outDir);
  const files = { calibrate: path.join(dir, 'calibrate.sbatch'), shards: path.join(dir, 'shards.sbatch'), report: path.join(dir, 'report.sbatch') };
  const needCalibration = f.recalibrate || !existsSync(calibrationFileOf(outDir));
  const reportMissing = !existsSync(path.join(outDir, 'report.md'));
  const submitArray = shardsToSubmit.length > 0;
  const submitReport = submitArray || reportMissing;
  const array = compactRanges(shardsToSubmit);
  const commands = {
    calibrate: ['--parsable', files.calibrate],
    shards: (cal?: string) => ['--parsable', `--array=${array}`, ...(cal ? [`--dependency=afterok:${cal}`, '--kill-on-invalid-dep=yes'] : []), files.shards],
    report: (arr?: string) => ['--parsable', ...(arr ? [`--dependency=afterany:${arr}`] : []), files.report],
  };

  if (f['dry-run']) {
    out(`# pnpm bench slurm --dry-run: nothing submitted. It would write these scripts into ${dir} and run:`);
    if (needCalibration) out(`#   CAL=$(${commandLine('sbatch', commands.calibrate)})`);
    if (submitArray) out(`#   ARRAY=$(${commandLine('sbatch', commands.shards(needCalibration ? '$CAL' : undefined))})`);
    if (submitReport) out(`#   ${commandLine('sbatch', commands.report(submitArray ? '$ARRAY' : undefined))}`);
    if (!submitReport) out('#   nothing: every shard has finished and the report exists');
    for (const [name, text] of Object.entries(scripts) as [keyof SlurmScripts, string][]) {
      if (name === 'calibrate' && !needCalibration) continue;
      if (name === 'shards' && !submitArray) continue;
      if (name === 'report' && !submitReport) continue;
      out();
      out(`# ==> ${files[name]} <==`);
      process.stdout.write(text);
    }
    return 0;
  }

  if (!submitReport) {
    out(`nothing to submit: every shard of ${outDir} has finished and ${path.join(outDir, 'report.md')} exists`);
    return 0;
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(files.calibrate, scripts.calibrate, { mode: 0o755 });
  writeFileSync(files.shards, scripts.shards, { mode: 0o755 });
  writeFileSync(files.report, scripts.report, { mode: 0o755 });

  // Submit in order; when a later sbatch fails, cancel the jobs already submitted: nothing half-submitted stays queued.
  const submitted: string[] = [];
  const sbatch = (argv: string[]) => {
    const id = parseSbatchJobId(runExternal('sbatch', argv), commandLine('sbatch', argv));
    submitted.push(id);
    return id;
  };
  const entry: SubmissionEntry = { submittedAt: new Date().toISOString(), shards: shardsToSubmit };
  try {
    if (needCalibration && submitArray) entry.calibrationJob = sbatch(commands.calibrate);
    if (submitArray) entry.arrayJob = sbatch(commands.shards(entry.calibrationJob));
    entry.reportJob = sbatch(commands.report(entry.arrayJob));
  } catch (error) {
    if (submitted.length > 0) {
      try {
        runExternal('scancel', submitted);
      } catch (cancelError) {
        out(`warning: could not cancel the jobs already submitted (${submitted.join(', ')}): ${(cancelError as Error).message}`);
      }
      throw new ExternalCommandError(`${(error as Error).message} (cancelled the jobs already submitted: ${submitted.join(', ')})`);
    }
    throw error;
  }
  const record: SubmissionRecord = previous ?? { format: 1, shards: setup.shards, benchArgs: setup.benchArgs, sbatch: setup.sbatch, root: setup.root, submissions: [] };
  record.sbatch = setup.sbatch;
  record.submissions.push(entry);
  writeSubmission(outDir, record);

  const ids = [entry.calibrationJob, entry.arrayJob, entry.reportJob].filter((id) => id !== undefined);
  out(`submitted to Slurm (${outDir}):`);
  if (entry.calibrationJob) out(`  calibration:    job ${entry.calibrationJob} -> ${calibrationFileOf(outDir)}`);
  if (entry.arrayJob) out(`  shards:         job ${entry.arrayJob}, array tasks ${array} (of 1-${setup.shards}; task i is shard i/${setup.shards} -> ${resultFileName({ index: 1, count: setup.shards }).replace('-1-', '-i-')})`);
  out(`  merge + report: job ${entry.reportJob}${entry.arrayJob ? ` (after the shards, whatever their outcome)` : ''} -> ${path.join(outDir, 'report.md')}, report.html`);
  out(`watch:    squeue --jobs=${ids.join(',')}`);
  out(`progress: tail -f ${path.join(dir, 'shard-*.out')}  (a line per epoch and per run; finished runs: wc -l ${path.join(outDir, 'results-shard-*.jsonl')})`);
  out(`cancel:   scancel ${ids.join(' ')}`);
  out(`resume:   pnpm bench slurm --resume --out ${shellQuote(outDir)}  (resubmits only the shards with unfinished runs)`);
  return 0;
}
