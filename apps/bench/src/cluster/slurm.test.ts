import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseBenchArgs } from '../cli/args.js';
import { ExternalCommandError, runExternal } from './external.js';
import { forwardedBenchArgs, rejectClusterFlags, shellQuote } from './options.js';
import { writeShardPlan } from './shards.js';
import { parseSbatchJobId, sbatchOptions, slurmCommand, slurmScripts, type SlurmSetup } from './slurm.js';

const dir = () => mkdtempSync(path.join(tmpdir(), 'bench-slurm-'));

/** A folder with a `pnpm` that prints its arguments one per line: runs a job script as sbatch would, minus Slurm. */
function fakePnpm(): string {
  const bin = dir();
  writeFileSync(path.join(bin, 'pnpm'), '#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done\n');
  chmodSync(path.join(bin, 'pnpm'), 0o755);
  return bin;
}

function runScript(script: string, env: Record<string, string>): string[] {
  const file = path.join(dir(), 'job.sbatch');
  writeFileSync(file, script);
  const bin = fakePnpm();
  const r = spawnSync('bash', [file], { encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, ...env } });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout.trim().split('\n');
}

describe('pnpm bench slurm: scripts', () => {
  const root = dir();
  const setup: SlurmSetup = {
    outDir: '/scratch/bench-$out',
    shards: 15,
    benchArgs: ['--preset', 'paper', '--data-dir', "/data/it's here"],
    sbatch: { partition: 'gpu', time: '2-00:00:00', gpusPerTask: '1', cpus: 8, memory: '32G' },
    root,
  };
  const scripts = slurmScripts(setup);

  it('requests the resources on the compute jobs and none of the GPUs on the report job', () => {
    for (const script of [scripts.calibrate, scripts.shards]) {
      expect(script).toContain('#SBATCH --partition=gpu\n#SBATCH --time=2-00:00:00\n#SBATCH --cpus-per-task=8\n#SBATCH --mem=32G\n#SBATCH --gpus-per-task=1\n');
    }
    expect(scripts.report).toContain('#SBATCH --partition=gpu\n#SBATCH --time=2-00:00:00\n');
    expect(scripts.report).not.toMatch(/gpus|cpus-per-task|--mem/);
    expect(scripts.shards).toContain('#SBATCH --output=/scratch/bench-$out/slurm/shard-%a-job-%A.out\n');
  });

  it('shard i runs --shard i/N with the shared calibration and no report, the arguments intact through the shell', () => {
    const argv = runScript(scripts.shards, { SLURM_ARRAY_TASK_ID: '7', SLURM_ARRAY_JOB_ID: '99', SLURM_JOB_ID: '106' });
    expect(argv[0]).toBe('shard 7/15 on ' + spawnSync('hostname', { encoding: 'utf8' }).stdout.trim() + ', job 99_7');
    expect(argv.slice(1)).toEqual([
      'bench',
      '--preset',
      'paper',
      '--data-dir',
      "/data/it's here",
      '--out',
      '/scratch/bench-$out',
      '--calibration',
      '/scratch/bench-$out/calibration.json',
      '--shard',
      '7/15',
      '--no-report',
    ]);
  });

  it('the calibration job is a dry run of shard 1 into the shared folder; the report job merges then reports', () => {
    const cal = runScript(scripts.calibrate, { SLURM_JOB_ID: '98' });
    expect(cal.slice(1)).toEqual(['bench', '--preset', 'paper', '--data-dir', "/data/it's here", '--out', '/scratch/bench-$out', '--shard', '1/15', '--dry-run']);
    const report = runScript(scripts.report, {});
    expect(report).toEqual(['bench', 'merge', '--out', '/scratch/bench-$out', 'bench', 'report', '--out', '/scratch/bench-$out']);
  });

  it('quotes shell words only where needed', () => {
    expect(shellQuote('--shard')).toBe('--shard');
    expect(shellQuote('a b')).toBe("'a b'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
    expect(shellQuote('$HOME')).toBe("'$HOME'");
  });
});

describe('pnpm bench slurm: flags', () => {
  it('passes every bench flag on except the per-job and cluster ones, with --data-dir made absolute', () => {
    const args = parseBenchArgs(['slurm', '--preset', 'quick', '--tables', '6', '--shards', '3', '--out', 'o', '--data-dir', 'rel', '--recalibrate', '--partition', 'p', '--seeds', '2']);
    expect(forwardedBenchArgs(args.flags)).toEqual(['--preset', 'quick', '--tables', '6', '--data-dir', path.resolve('rel'), '--seeds', '2']);
  });

  it('rejects cluster flags outside slurm/k8s and each other\'s flags', () => {
    expect(() => rejectClusterFlags(parseBenchArgs(['--shards', '3']))).toThrow('--shards belongs to pnpm bench slurm / pnpm bench k8s, not to pnpm bench run');
    expect(() => slurmCommand(parseBenchArgs(['slurm', '--shards', '3', '--image', 'x']))).toThrow('--image is a flag of pnpm bench k8s, not of pnpm bench slurm');
    expect(() => slurmCommand(parseBenchArgs(['slurm', '--dry-run']))).toThrow('--shards N is required');
    expect(() => slurmCommand(parseBenchArgs(['slurm', '--shards', '0']))).toThrow("--shards must be a positive integer, got '0'");
    expect(() => slurmCommand(parseBenchArgs(['slurm', '--shards', '2', '--shard', '1/2']))).toThrow(/--shard: pnpm bench slurm submits every shard/);
    expect(() => parseBenchArgs(['slurm', 'file.jsonl'])).toThrow("pnpm bench slurm takes no file arguments, got 'file.jsonl'");
  });

  it('checks sbatch options before calling sbatch', () => {
    const opts = (argv: string[]) => sbatchOptions(parseBenchArgs(['slurm', ...argv]).flags);
    expect(opts(['--time', '90', '--gpus-per-task', 'a100:2', '--memory', '16G', '--cpus', '4'])).toEqual({
      partition: undefined,
      account: undefined,
      time: '90',
      gpusPerTask: 'a100:2',
      cpus: 4,
      memory: '16G',
    });
    expect(() => opts(['--time', '2 days'])).toThrow("--time must be a Slurm time limit (minutes, HH:MM:SS or D-HH:MM:SS), got '2 days'");
    expect(() => opts(['--gpus-per-task', '0'])).toThrow("--gpus-per-task must be a count or type:count (e.g. 1, a100:2), got '0'");
    expect(() => opts(['--memory', '16 GB'])).toThrow(/--memory must be Slurm's --mem/);
    expect(() => opts(['--partition', 'gpu;rm'])).toThrow("--partition must be a Slurm partition name (letters, digits, . _ , -), got 'gpu;rm'");
  });
});

describe('pnpm bench slurm: sbatch and friends', () => {
  it('reads the job id of sbatch --parsable, with or without a cluster name', () => {
    expect(parseSbatchJobId('123\n', 'sbatch x')).toBe('123');
    expect(parseSbatchJobId('456;hpc\n', 'sbatch x')).toBe('456');
    expect(() => parseSbatchJobId('Submitted batch job 5\n', 'sbatch --parsable x')).toThrow(
      "sbatch --parsable x: expected a job id from --parsable, got 'Submitted batch job 5'",
    );
  });

  it('names the command and quotes its stderr when it fails, and says when it is missing', () => {
    const fail = () => runExternal(process.execPath, ['-e', 'process.stderr.write("sbatch: error: invalid partition specified: gpu\\n"); process.exit(1)']);
    expect(fail).toThrow(ExternalCommandError);
    expect(fail).toThrow(/ -e .* failed \(exit code 1\): sbatch: error: invalid partition specified: gpu$/);
    const missing = () => runExternal('sbatch', ['--parsable', 'x'], { env: { PATH: dir() } });
    expect(missing).toThrow("sbatch --parsable x: 'sbatch' not found (Slurm's client commands are not on PATH: run pnpm bench slurm on a Slurm login node (or use --dry-run to print the scripts))");
  });
});

describe('pnpm bench slurm: --dry-run and --resume', () => {
  let written = '';
  afterEach(() => {
    vi.restoreAllMocks();
    written = '';
  });
  const capture = () =>
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written += String(chunk);
      return true;
    });

  it('prints the three sbatch commands with their dependencies and submits nothing', () => {
    const out = path.join(dir(), 'results');
    capture();
    expect(slurmCommand(parseBenchArgs(['slurm', '--preset', 'quick', '--shards', '3', '--out', out, '--dry-run']))).toBe(0);
    expect(written).toContain(`#   CAL=$(sbatch --parsable ${out}/slurm/calibrate.sbatch)`);
    expect(written).toContain(`#   ARRAY=$(sbatch --parsable --array=1-3 "--dependency=afterok:$CAL" --kill-on-invalid-dep=yes ${out}/slurm/shards.sbatch)`);
    expect(written).toContain(`#   sbatch --parsable "--dependency=afterany:$ARRAY" ${out}/slurm/report.sbatch`);
    expect(written).toContain('--shard "$SLURM_ARRAY_TASK_ID/3" --no-report');
    expect(existsSync(out)).toBe(false);
  });

  it('--resume resubmits only the shards with unfinished runs, with the first submission\'s flags, and no new calibration', () => {
    const out = dir();
    mkdirSync(path.join(out, 'slurm'));
    writeFileSync(
      path.join(out, 'slurm', 'submission.json'),
      JSON.stringify({ format: 1, shards: 3, benchArgs: ['--preset', 'quick', '--tables', '6'], sbatch: { time: '10' }, root: '/x', submissions: [] }),
    );
    writeFileSync(path.join(out, 'calibration.json'), '{"format":1,"samples":{},"seconds":0}');
    writeShardPlan(out, { index: 2, count: 3 }, []); // a shard with nothing to do is complete
    writeShardPlan(out, { index: 3, count: 3 }, [{ id: 't6-none-s1', hash: 'h1' }]);
    capture();
    expect(slurmCommand(parseBenchArgs(['slurm', '--resume', '--out', out, '--time', '30', '--dry-run']))).toBe(0);
    expect(written).toContain('  shard 1/3: not started (no plan file)\n  shard 2/3: 0 of 0 run(s) finished\n  shard 3/3: 0 of 1 run(s) finished, incomplete\n');
    expect(written).toContain(`#   ARRAY=$(sbatch --parsable --array=1,3 ${out}/slurm/shards.sbatch)`);
    expect(written).not.toContain('CAL=');
    // The resume's --time replaces the first submission's; the bench flags are the first submission's.
    expect(written).toContain('#SBATCH --time=30\n');
    expect(written).toContain(`pnpm bench --preset quick --tables 6 --out ${out} --calibration ${out}/calibration.json`);
    expect(() => slurmCommand(parseBenchArgs(['slurm', '--resume', '--out', out, '--seeds', '3', '--dry-run']))).toThrow(
      /--resume reuses the bench flags of the first submission \(--preset quick --tables 6\); pass only --out and cluster flags, not --seeds 3/,
    );
    expect(() => slurmCommand(parseBenchArgs(['slurm', '--resume', '--out', out, '--shards', '4', '--dry-run']))).toThrow(`--resume: ${out} was submitted with --shards 3, not 4`);
    expect(() => slurmCommand(parseBenchArgs(['slurm', '--resume', '--out', dir()]))).toThrow(/--resume: no Slurm submission in/);
  });
});
