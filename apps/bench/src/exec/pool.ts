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

/** A calibration's result per config: its sample, or why it could not be measured. */
export type CalibrationOutcome = { sample: CalibrationSample } | { error: string };

async function calibrateChunk(
  configs: readonly RunConfig[],
  options: WorkerOptions & { steps: number; onSample?: (config: RunConfig, sample: CalibrationSample) => void },
  stop: { interrupted: boolean; children: Set<ChildProcess> },
): Promise<CalibrationOutcome[]> {
  const outcomes: CalibrationOutcome[] = [];
  let rest = [...configs];
  while (rest.length > 0 && !stop.interrupted) {
    const samples: CalibrationSample[] = [];
    let reason: string | undefined;
    const worker = startWorker(options, (m) => {
      if (m.type === 'calibrated') {
        samples[m.index] = m.sample;
        options.onSample?.(rest[m.index], samples[m.index]);
      } else if (m.type === 'failed') reason = m.reason;
    });
    stop.children.add(worker.child);
    worker.child.send({ type: 'calibrate', configs: rest, dataDir: options.dataDir, steps: options.steps } satisfies ToWorker);
    const exit = await worker.exited;
    stop.children.delete(worker.child);
    if (stop.interrupted) break;
    let i = 0;
    while (i < rest.length && samples[i] !== undefined) outcomes.push({ sample: samples[i++] });
    if (i < rest.length) {
      // The config at i failed (an out-of-memory abort leaves the wasm heap unusable): record why, go on with the
      // others in a fresh worker.
      const how = reason ?? (exit.signal ? `the calibration worker was killed by ${exit.signal}` : `the calibration worker exited with code ${exit.code}`);
      outcomes.push({ error: how });
      i++;
    }
    rest = rest.slice(i);
  }
  return outcomes;
}

/**
 * Measures each config's speed, in `workers` worker processes at once (as the runs will share the machine), each
 * with `threads` threads. A config that fails (e.g. out of memory in the wasm heap) gets its reason and costs only
 * itself: the others are measured in a fresh worker. Ctrl-C rejects.
 */
export async function calibrateInWorkers(
  configs: readonly RunConfig[],
  options: WorkerOptions & { steps: number; workers: number; onSample?: (config: RunConfig, sample: CalibrationSample) => void },
): Promise<CalibrationOutcome[]> {
  const stop = { interrupted: false, children: new Set<ChildProcess>() };
  const onInt = () => {
    stop.interrupted = true;
    for (const c of stop.children) c.kill('SIGTERM');
  };
  process.on('SIGINT', onInt);
  try {
    // Round-robin chunks, the most expensive configs (detection) apart.
    const n = Math.max(1, Math.min(options.workers, configs.length));
    const chunks = Array.from({ length: n }, (_, k) => configs.map((c, i) => [c, i] as const).filter(([, i]) => i % n === k));
    const results = await Promise.all(chunks.map((chunk) => calibrateChunk(chunk.map(([c]) => c), options, stop)));
    if (stop.interrupted) throw new Error('Ctrl-C: stopped during the calibration; nothing was trained');
    const outcomes: CalibrationOutcome[] = new Array(configs.length);
    chunks.forEach((chunk, k) => chunk.forEach(([, i], j) => (outcomes[i] = results[k][j])));
    return outcomes;
  } finally {
    process.off('SIGINT', onInt);
  }
}

/**
 * The fixed cost every run pays besides its network's: worker start-up (Node, TypeScript loading, TF.js, the
 * backend), the runner's modules, messages, and exit. Measured as a real run does it: `jobs` tiny runs of `config` at
 * once (start-ups compete for the cores as in the bench), each from fork to exit, less its epoch's time. The network's
 * image loading is subtracted (every sample carries its own rate); the tiny network's build stays in (a fraction of a
 * second for the cheapest network: a slight over-estimate). Rejects with the worker's reason if the tiny run fails.
 */
export async function measureRunOverhead(
  config: RunConfig,
  options: WorkerOptions & { jobs: number; loadSeconds: number },
): Promise<number> {
  const one = async (): Promise<number> => {
    let outcome: RunOutcome | undefined;
    let reason: string | undefined;
    const t0 = performance.now();
    const worker = startWorker(options, (m) => {
      if (m.type === 'done') outcome = m.outcome;
      else if (m.type === 'failed') reason = m.reason;
    });
    worker.child.send({ type: 'run', config, dataDir: options.dataDir } satisfies ToWorker);
    await worker.exited;
    const wall = (performance.now() - t0) / 1000;
    if (outcome === undefined) throw new Error(`calibration failed: the start-up run of table ${config.table}: ${reason ?? 'the worker exited early'}`);
    const epochs = outcome.history.reduce((s, h) => s + h.seconds, 0);
    return Math.max(0, wall - epochs - options.loadSeconds);
  };
  const walls = await Promise.all(Array.from({ length: Math.max(1, options.jobs) }, one));
  return walls.reduce((a, b) => a + b, 0) / walls.length;
}
