/**
 * Runs the plan: up to `jobs` worker processes at once, one run per process, each with `threads` wasm threads.
 * Every finished or failed run is appended to the result file at once; Ctrl-C stops the workers and records
 * nothing for the runs they were in (they run again on the next start).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import type { PlannedRun, RunConfig } from '../experiments/config.js';
import { formatDuration } from '../plan/plan.js';
import type { DataSource } from '../experiments/data-source.js';
import { appendRecord, RECORD_FORMAT, type RecordEnvironment, type RunRecord } from '../results/store.js';
import type { CalibrationSample, EpochRecord, RunOutcome } from '../runners/types.js';
import type { FromWorker, ToWorker, WorkerEnvironment } from './messages.js';
import type { ProgressDisplay } from './progress.js';

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));

/** How workers are started. */
export interface WorkerOptions {
  /** wasm threads per worker (`DB_WASM_THREADS`). */
  threads: number;
  /** Forced backend (`DB_BACKEND`), if any. */
  backend?: string;
  /** Data directory. */
  dataDir: string | undefined;
}

/** A running worker and a way to wait for its messages. */
interface Worker {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startWorker(options: WorkerOptions, onMessage: (m: FromWorker) => void): Worker {
  const env: NodeJS.ProcessEnv = { ...process.env, DB_WASM_THREADS: String(options.threads) };
  if (options.backend !== undefined) env.DB_BACKEND = options.backend;
  // Own process group: a terminal's Ctrl-C goes to the bench, which stops the workers itself.
  const child = fork(WORKER, [], { env, stdio: ['ignore', 'ignore', 'pipe', 'ipc'], detached: true });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  child.on('message', (m) => onMessage(m as FromWorker));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  Object.defineProperty(child, 'lastStderr', { get: () => stderr });
  return { child, exited };
}

function lastStderrLine(child: ChildProcess): string {
  const text = ((child as unknown as { lastStderr?: string }).lastStderr ?? '').trim();
  const lines = text.split('\n').filter((l) => l.trim() !== '' && !/^\s+at /.test(l));
  return lines.length > 0 ? lines[lines.length - 1].trim().slice(0, 200) : '';
}

/** `git rev-parse HEAD`, with `-dirty` when tracked files changed; `unknown` outside a checkout. */
export function gitCommit(cwd = process.cwd()): string {
  try {
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return dirty ? `${head}-dirty` : head;
  } catch {
    return 'unknown';
  }
}

/** Cores of this machine. */
export function coreCount(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

function environment(worker: WorkerEnvironment | undefined, jobs: number): RecordEnvironment {
  return {
    backend: worker?.backend ?? 'unknown',
    threads: worker?.threads ?? 0,
    jobs,
    cores: coreCount(),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    node: process.version,
    tfjs: worker?.tfjs ?? 'unknown',
    platform: `${process.platform}-${process.arch}`,
    host: os.hostname(),
  };
}

/** Options of {@link executeRuns}. */
export interface ExecuteOptions extends WorkerOptions {
  /** The runs to do (already without the finished ones). */
  runs: readonly PlannedRun[];
  /** Index of each run in the display's list. */
  displayIndex: readonly number[];
  /** Parallel jobs. */
  jobs: number;
  /** Result file to append to. */
  resultFile: string;
  /** Preset name, stored in each record. */
  preset: string;
  /** Commit, stored in each record. */
  commit: string;
  /** The data of each dataset the runs read, stored in each run's record. */
  data?: ReadonlyMap<string, DataSource>;
  /** Progress display. */
  display: ProgressDisplay;
}

/** What {@link executeRuns} did. */
export interface ExecuteSummary {
  /** Runs that finished. */
  finished: number;
  /** Runs that failed (recorded with their reason). */
  failed: number;
  /** True when Ctrl-C (or SIGTERM) stopped the bench. */
  interrupted: boolean;
  /** Wall seconds. */
  seconds: number;
}

function summary(outcome: RunOutcome): string {
  const m = outcome.metrics;
  if (m.accuracy !== undefined) return `accuracy ${m.accuracy.toFixed(4)}`;
  if (m.valLoss !== undefined) return `loss ${m.loss.toFixed(4)}, val_loss ${m.valLoss.toFixed(4)}${m.mAP !== undefined ? `, mAP ${m.mAP.toFixed(4)}` : ''}`;
  return 'done';
}

/** Runs `options.runs`, `options.jobs` at a time. Resolves when all ended or the bench was stopped. */
export async function executeRuns(options: ExecuteOptions): Promise<ExecuteSummary> {
  const { runs, jobs, display } = options;
  const started = performance.now();
  const live = new Set<ChildProcess>();
  let next = 0;
  let finished = 0;
  let failed = 0;
  let interrupted = false;

  const stop = (signal: NodeJS.Signals) => {
    if (interrupted) {
      // Second Ctrl-C: do not wait for the workers.
      for (const c of live) c.kill('SIGKILL');
      process.exit(130);
    }
    interrupted = true;
    display.log(`${signal === 'SIGINT' ? 'Ctrl-C' : signal}: stopping ${live.size} running run(s); finished runs are saved in ${options.resultFile}. Run the same command again to resume.`);
    for (const c of live) c.kill('SIGTERM');
  };
  const onInt = () => stop('SIGINT');
  const onTerm = () => stop('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);

  const runSlot = async (slot: number): Promise<void> => {
    while (!interrupted && next < runs.length) {
      const i = next++;
      const run = runs[i];
      const startedAt = new Date();
      const t0 = performance.now();
      let env: WorkerEnvironment | undefined;
      let outcome: RunOutcome | undefined;
      let reason: string | undefined;
      const history: EpochRecord[] = [];
      display.start(slot, options.displayIndex[i]);
      const worker = startWorker(options, (m) => {
        if (m.type === 'ready') env = m.env;
        else if (m.type === 'progress') {
          if (m.progress.epochDone) history.push(m.progress.epochDone);
          display.update(slot, m.progress);
        } else if (m.type === 'done') outcome = m.outcome;
        else if (m.type === 'failed') reason = m.reason;
      });
      live.add(worker.child);
      worker.child.send({ type: 'run', config: run.config, dataDir: options.dataDir } satisfies ToWorker);
      const exit = await worker.exited;
      live.delete(worker.child);
      const wallSeconds = (performance.now() - t0) / 1000;
      if (interrupted && outcome === undefined) {
        display.finish(slot, 'stopped (not recorded; it runs again on resume)', wallSeconds, false);
        return;
      }
      if (outcome === undefined && reason === undefined) {
        const how = exit.signal ? `killed by ${exit.signal}` : `exited with code ${exit.code}`;
        const stderr = lastStderrLine(worker.child);
        reason = `worker process ${how}${exit.signal === 'SIGKILL' ? ' (out of memory, or killed)' : ''}${stderr ? `: ${stderr}` : ''}`;
      }
      const record: RunRecord = {
        format: RECORD_FORMAT,
        status: outcome ? 'ok' : 'failed',
        runId: run.id,
        table: run.config.table,
        row: run.config.row,
        seed: run.config.seed,
        preset: options.preset,
        hash: run.hash,
        config: run.config,
        commit: options.commit,
        environment: environment(env, jobs),
        ...(options.data?.has(run.config.dataset) ? { data: options.data.get(run.config.dataset) } : {}),
        startedAt: startedAt.toISOString(),
        finishedAt: new Date().toISOString(),
        wallSeconds,
        history: outcome?.history ?? history,
        ...(outcome ? { metrics: outcome.metrics, ...(outcome.series ? { series: outcome.series } : {}) } : { reason }),
      };
      appendRecord(options.resultFile, record);
      if (outcome) {
        finished++;
        display.finish(slot, `done in ${formatDuration(wallSeconds)}: ${summary(outcome)}`, wallSeconds);
      } else {
        failed++;
        display.finish(slot, `FAILED after ${formatDuration(wallSeconds)} (recorded; the bench goes on): ${reason}`, wallSeconds);
      }
    }
  };

  try {
    await Promise.all(Array.from({ length: Math.min(jobs, runs.length) }, (_, slot) => runSlot(slot)));
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
    display.close();
  }
  return { finished, failed, interrupted, seconds: (performance.now() - started) / 1000 };
}

/**
 * Measures each config's speed in one worker with `threads` threads. Rejects with the worker's one-line reason if it
 * fails.
 */
export async function calibrateInWorker(
  configs: readonly RunConfig[],
  options: WorkerOptions & { steps: number; onSample?: (index: number, sample: CalibrationSample) => void },
): Promise<{ samples: CalibrationSample[]; env: WorkerEnvironment | undefined }> {
  const samples: CalibrationSample[] = [];
  let env: WorkerEnvironment | undefined;
  let reason: string | undefined;
  let readyAt = 0;
  const t0 = performance.now();
  const worker = startWorker(options, (m) => {
    if (m.type === 'ready') {
      env = m.env;
      readyAt = performance.now();
    } else if (m.type === 'calibrated') {
      samples[m.index] = m.sample;
      options.onSample?.(m.index, m.sample);
    } else if (m.type === 'failed') reason = m.reason;
  });
  let interrupted = false;
  const onInt = () => {
    interrupted = true;
    worker.child.kill('SIGTERM');
  };
  process.on('SIGINT', onInt);
  worker.child.send({ type: 'calibrate', configs: [...configs], dataDir: options.dataDir, steps: options.steps } satisfies ToWorker);
  const exit = await worker.exited;
  process.off('SIGINT', onInt);
  if (interrupted) throw new Error('Ctrl-C: stopped during the calibration; nothing was trained');
  if (samples.filter(Boolean).length !== configs.length) {
    const how = reason ?? (exit.signal ? `the calibration worker was killed by ${exit.signal}` : `the calibration worker exited with code ${exit.code}`);
    throw new Error(`calibration failed: ${how}`);
  }
  // Each run starts its own worker: add the start-up time (fork + TF.js + backend) to every sample's setup.
  const startup = readyAt > 0 ? (readyAt - t0) / 1000 : 0;
  return { samples: samples.map((s) => ({ ...s, setupSeconds: s.setupSeconds + startup })), env };
}
