/** Command-line parsing of `pnpm bench`: every bad value becomes a RangeError whose message names the flag. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

/** Parsed `pnpm bench` command line. */
export interface BenchArgs {
  /** `run` (default), `merge`, `report`, or a cluster submission: `slurm`, `k8s` (see cluster/). */
  command: 'run' | 'merge' | 'report' | 'slurm' | 'k8s' | 'help';
  /** Positional arguments after the command (merge / report: result files). */
  files: string[];
  /** Flag values as given. */
  flags: {
    preset: string;
    tables?: string;
    rows?: string;
    seeds?: string;
    epochs?: string;
    'train-images'?: string;
    'test-images'?: string;
    'batch-size'?: string;
    'input-size'?: string;
    'backbone-weights'?: string;
    lr?: string;
    bn?: string;
    'bn-images'?: string;
    budget?: string;
    backend?: string;
    'data-dir'?: string;
    out?: string;
    into?: string;
    jobs?: string;
    threads?: string;
    shard?: string;
    calibration?: string;
    'dry-run': boolean;
    recalibrate: boolean;
    'no-report': boolean;
    // cluster/ (pnpm bench slurm | k8s)
    shards?: string;
    partition?: string;
    account?: string;
    time?: string;
    'gpus-per-task'?: string;
    cpus?: string;
    memory?: string;
    resume: boolean;
    image?: string;
    gpus?: string;
    pvc?: string;
    storage?: string;
  };
}

/** `pnpm bench --help`. */
export const HELP = `pnpm bench [run] [flags]      rerun the DropBlock report's tables (plan, calibration, runs, report)
pnpm bench merge FILE... --into FILE   append shard result files' records to one result file
pnpm bench merge --out DIR            merge DIR's shard files (results-shard-*.jsonl) into DIR/results.jsonl
pnpm bench report [--out DIR] [FILE...]  regenerate DIR/report.md and DIR/report.html from result files
pnpm bench slurm --shards N [flags]   submit the bench as a Slurm array job of N shards, then merge + report
pnpm bench k8s --shards N --image IMG [flags] > job.yaml   print a Kubernetes Indexed Job of N shards

flags:
  --preset quick|default|paper   quick: tiny runs for CI; default: fills --budget; paper: the report's sizes (default: default)
  --budget 1h                    time the default preset fills (e.g. 8h, 90m); sizes training images and epochs
  --tables 1,2,...               tables to run (1-3 CIFAR-10, 4-6 MNIST, 7 RetinaNet on COCO)
  --rows none,dropout,...        rows to run (none, dropout, spatialDropout, dropBlock3, dropBlock7; table 7 also dropBlock3kp07, dropBlock7kp07)
  --seeds N                      seeds per row (1..N)
  --epochs N  --train-images N  --test-images N  --batch-size N  --lr X   override the preset
  --input-size N                 RetinaNet's square input (table 7), a multiple of 128 (default preset: 128)
  --backbone-weights W           RetinaNet's backbone start (table 7): none (from scratch, the default), imagenet (Keras'
                                 ResNet-50 file, downloaded and md5-checked into the cache) or the path of a Keras .h5 file
  --bn precise|moving            BatchNorm statistics of the evaluation: precise (default) recomputes them on training
                                 images before each evaluation (Wu & Johnson 2021); moving is Keras' own. Records keep both
  --bn-images N                  training images precise BN uses (default 1024, or all training images if fewer)
  --backend NAME                 webgpu, wasm, cpu, tensorflow (tfjs-node), tfjs-node-gpu (same as DB_BACKEND)
  --data-dir DIR                 datasets folder (same as DB_DATA_DIR)
  --out DIR                      output folder (default bench-results/<preset>)
  --jobs N                       runs at once, each in its own process with cores/N wasm threads
  --threads N                    wasm threads per run (default cores/jobs)
  --shard i/n                    run the i-th of n deterministic shares of the runs (one machine each)
  --calibration FILE             reuse a calibration (e.g. the one a --dry-run wrote) so every shard sizes alike
  --recalibrate                  measure again instead of reusing OUT/calibration.json
  --dry-run                      print the plan and the time estimate, then stop
  --no-report                    do not write the report at the end

cluster flags (slurm, k8s; the bench flags above are passed on to every shard; --out is the shared folder):
  --shards N                     number of shards (array tasks / completion indexes)
  --partition P  --account A     slurm: sbatch --partition / --account
  --time T                       slurm: time limit per shard (sbatch --time, e.g. 2-00:00:00)
  --gpus-per-task G              slurm: GPUs per shard (sbatch --gpus-per-task)
  --cpus N  --memory M           CPUs and memory per shard (slurm: --cpus-per-task, --mem, e.g. 16G; k8s: requests, e.g. 16Gi)
  --resume                       slurm: resubmit only the shards of --out with unfinished runs, then merge + report
  --dry-run                      slurm: print the scripts and the sbatch commands, submit nothing
  --image IMAGE                  k8s: container image (apps/bench/deploy/Dockerfile)
  --gpus G                       k8s: nvidia.com/gpu per shard
  --pvc NAME  --storage SIZE     k8s: the shared ReadWriteMany claim (default db-bench, 50Gi)
`;

/** Parses `argv` (without node and the script). */
export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        preset: { type: 'string', default: 'default' },
        tables: { type: 'string' },
        rows: { type: 'string' },
        seeds: { type: 'string' },
        epochs: { type: 'string' },
        'train-images': { type: 'string' },
        'test-images': { type: 'string' },
        'batch-size': { type: 'string' },
        'input-size': { type: 'string' },
        'backbone-weights': { type: 'string' },
        lr: { type: 'string' },
        bn: { type: 'string' },
        'bn-images': { type: 'string' },
        budget: { type: 'string' },
        backend: { type: 'string' },
        'data-dir': { type: 'string' },
        out: { type: 'string' },
        into: { type: 'string' },
        jobs: { type: 'string' },
        threads: { type: 'string' },
        shard: { type: 'string' },
        calibration: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        recalibrate: { type: 'boolean', default: false },
        'no-report': { type: 'boolean', default: false },
        shards: { type: 'string' },
        partition: { type: 'string' },
        account: { type: 'string' },
        time: { type: 'string' },
        'gpus-per-task': { type: 'string' },
        cpus: { type: 'string' },
        memory: { type: 'string' },
        resume: { type: 'boolean', default: false },
        image: { type: 'string' },
        gpus: { type: 'string' },
        pvc: { type: 'string' },
        storage: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    // Node's messages are already one line ("Unknown option '--foo'..."); keep the first sentence.
    const text = error instanceof Error ? error.message.split('. ')[0] : String(error);
    throw new RangeError(`${text.replace(/\.$/, '')} (pnpm bench --help lists the flags)`);
  }
  const { values, positionals } = parsed;
  const first = positionals[0];
  let command: BenchArgs['command'] = 'run';
  let files = positionals;
  if (first === 'run' || first === 'merge' || first === 'report' || first === 'slurm' || first === 'k8s') {
    command = first;
    files = positionals.slice(1);
  } else if (first !== undefined) {
    throw new RangeError(`unknown command '${first}' (use run, merge, report, slurm or k8s; pnpm bench --help)`);
  }
  if (values.help) command = 'help';
  if ((command === 'run' || command === 'slurm' || command === 'k8s') && files.length > 0) {
    throw new RangeError(`pnpm bench ${command} takes no file arguments, got '${files[0]}'`);
  }
  const { help: _help, ...flags } = values;
  return { command, files, flags: flags as BenchArgs['flags'] };
}

/** A positive integer flag value, or undefined when absent. */
export function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) throw new RangeError(`--${flag} must be a positive integer, got '${value}'`);
  return n;
}

/** A positive number flag value, or undefined when absent. */
export function positiveNumber(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new RangeError(`--${flag} must be a positive number, got '${value}'`);
  return n;
}

/** `--bn`: the BatchNorm statistics of the evaluation. */
export function bnStatistics(value: string | undefined): 'precise' | 'moving' | undefined {
  if (value === undefined) return undefined;
  if (value !== 'precise' && value !== 'moving') throw new RangeError(`--bn must be precise or moving, got '${value}'`);
  return value;
}

/**
 * `--backbone-weights`: `none`, `imagenet`, or the path of a Keras HDF5 file, made absolute (the runs are other
 * processes) and checked here, so that a typo fails before any training rather than in every table-7 run.
 */
export function backboneWeightsFlag(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value === 'none' || value === 'imagenet') return value;
  const file = path.resolve(value);
  if (!existsSync(file)) throw new RangeError(`--backbone-weights must be none, imagenet or the path of a Keras .h5 file; '${value}' does not exist`);
  return file;
}

/** A comma-separated list flag value. */
export function list(value: string | undefined): string[] | undefined {
  return value === undefined ? undefined : value.split(',').map((s) => s.trim()).filter((s) => s !== '');
}
