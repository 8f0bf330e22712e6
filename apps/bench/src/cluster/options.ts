/**
 * What `pnpm bench slurm` and `pnpm bench k8s` share: the shard count, which of the user's flags every shard's
 * bench receives, and shell quoting for the scripts they write.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchArgs } from '../cli/args.js';
import { positiveInt } from '../cli/args.js';

type Flag = keyof BenchArgs['flags'];

/** Flags that configure the submission itself, never passed to a shard's bench. */
export const CLUSTER_FLAGS: readonly Flag[] = [
  'shards',
  'partition',
  'account',
  'time',
  'gpus-per-task',
  'cpus',
  'memory',
  'resume',
  'image',
  'gpus',
  'pvc',
  'storage',
];

/**
 * Flags the submission sets per job rather than copying: the shared folder and calibration, the shard, the dry run
 * (of the submission, not of the shards), the report (a job of its own), `--recalibrate` (the calibration job's).
 */
const PER_JOB_FLAGS: readonly Flag[] = ['out', 'calibration', 'shard', 'dry-run', 'no-report', 'recalibrate', 'into'];

/** The repository root (apps/bench/src/cluster/ is four levels below it): where the jobs run `pnpm bench`. */
export const REPO_ROOT = path.resolve(fileURLToPath(new URL('../../../..', import.meta.url)));

/**
 * The bench flags every shard receives, as argv, in the order the parser declares them: every flag the user gave
 * except the cluster's own and the per-job ones. Generic on purpose, so that a flag the bench gains later reaches
 * the shards without a change here. `--data-dir` is made absolute: jobs start in the repository root.
 */
export function forwardedBenchArgs(flags: BenchArgs['flags']): string[] {
  const argv: string[] = [];
  for (const [name, value] of Object.entries(flags) as [Flag, string | boolean | undefined][]) {
    if (CLUSTER_FLAGS.includes(name) || PER_JOB_FLAGS.includes(name)) continue;
    if (value === undefined || value === false) continue;
    if (value === true) argv.push(`--${name}`);
    else argv.push(`--${name}`, name === 'data-dir' ? path.resolve(value) : value);
  }
  return argv;
}

/** Flags of `command` that the plain bench (`pnpm bench run`) does not take: a RangeError naming the first. */
export function rejectClusterFlags(args: BenchArgs): void {
  if (args.command === 'slurm' || args.command === 'k8s') return;
  for (const name of CLUSTER_FLAGS) {
    const value = args.flags[name];
    if (value !== undefined && value !== false) {
      throw new RangeError(`--${name} belongs to pnpm bench slurm / pnpm bench k8s, not to pnpm bench ${args.command}`);
    }
  }
}

/** Cluster flags that one scheduler does not use: a RangeError, so a k8s flag given to slurm is not silently lost. */
export function rejectFlagsOf(args: BenchArgs, flags: readonly Flag[], other: string): void {
  for (const name of flags) {
    const value = args.flags[name];
    if (value !== undefined && value !== false) throw new RangeError(`--${name} is a flag of pnpm bench ${other}, not of pnpm bench ${args.command}`);
  }
}

/** `--shards N`, required, 1..10000 (Slurm's default MaxArraySize is 1001; a cluster's own limit is its error). */
export function shardCount(flags: BenchArgs['flags'], required: boolean): number | undefined {
  const n = positiveInt(flags.shards, 'shards');
  if (n === undefined && required) throw new RangeError('--shards N is required: the number of shards (array tasks) to split the runs into');
  if (n !== undefined && n > 10_000) throw new RangeError(`--shards must be at most 10000, got ${n}`);
  return n;
}

/** A POSIX shell word: as is when it is plain, else single-quoted (a `'` inside becomes `'\''`). */
export function shellQuote(word: string): string {
  if (/^[\w./:=,%@+-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** argv as one shell command line. */
export function shellLine(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}
