/**
 * What the bench shows while it trains. On a terminal: one live line per running job (run k of n, table, row, seed,
 * epoch, step, loss, the run's ETA and the bench's), redrawn in place. Otherwise (CI logs, files): one plain line
 * per finished epoch and per finished run.
 */
import type { PlannedRun } from '../experiments/config.js';
import { formatDuration } from '../plan/plan.js';
import type { RunProgress } from '../runners/types.js';

interface Active {
  run: PlannedRun;
  index: number;
  started: number;
  progress?: RunProgress;
}

/** Live progress of a bench. */
export class ProgressDisplay {
  private readonly active = new Map<number, Active>();
  private readonly done = new Set<number>();
  private actualSeconds = 0;
  private estimatedDone = 0;
  private drawn = 0;
  private lastDraw = 0;
  private timer: NodeJS.Timeout | undefined;

  /**
   * @param runs the runs of this bench, in order
   * @param estimates estimated seconds of each run (same order)
   * @param jobs parallel jobs
   * @param tty whether to draw live lines (a terminal) or print plain lines
   * @param write where output goes
   */
  constructor(
    private readonly runs: readonly PlannedRun[],
    private readonly estimates: readonly number[],
    private readonly jobs: number,
    private readonly tty: boolean,
    private readonly write: (text: string) => void = (t) => process.stdout.write(t),
  ) {
    if (tty) {
      this.timer = setInterval(() => this.draw(true), 1000);
      this.timer.unref();
    }
  }

  private label(a: { run: PlannedRun; index: number }): string {
    const c = a.run.config;
    return `[${a.index + 1}/${this.runs.length}] table ${c.table} ${c.row} seed ${c.seed}`;
  }

  /** Seconds left of an active run, from its progress, else from its estimate. */
  private runLeft(a: Active, now: number): number {
    const elapsed = (now - a.started) / 1000;
    const p = a.progress;
    const estimate = this.estimates[a.index] * this.speedRatio();
    if (p === undefined || p.steps === 0) return Math.max(estimate - elapsed, 0);
    const fraction = ((p.epoch - 1) * p.steps + p.step) / (p.epochs * p.steps);
    return fraction > 0.02 ? (elapsed * (1 - fraction)) / fraction : Math.max(estimate - elapsed, 0);
  }

  /** Measured / estimated time of finished runs, to correct the remaining estimates. */
  private speedRatio(): number {
    return this.estimatedDone > 0 ? this.actualSeconds / this.estimatedDone : 1;
  }

  private benchLeft(now: number): number {
    let pending = 0;
    this.runs.forEach((_, i) => {
      if (!this.done.has(i) && ![...this.active.values()].some((a) => a.index === i)) pending += this.estimates[i];
    });
    const active = [...this.active.values()].reduce((s, a) => s + this.runLeft(a, now), 0);
    return (pending * this.speedRatio() + active) / this.jobs;
  }

  private clear(): void {
    if (this.drawn > 0) this.write(`\x1b[${this.drawn}A\x1b[0J`);
    this.drawn = 0;
  }

  private draw(force = false): void {
    if (!this.tty) return;
    const now = performance.now();
    if (!force && now - this.lastDraw < 200) return;
    this.lastDraw = now;
    this.clear();
    const width = Math.max((process.stdout.columns || 160) - 1, 40);
    const lines = [...this.active.entries()].sort(([a], [b]) => a - b).map(([, a]) => {
      const p = a.progress;
      const where = p === undefined ? 'starting' : p.step === 0 ? `epoch ${p.epoch}/${p.epochs} evaluating` : `epoch ${p.epoch}/${p.epochs} batch ${p.step}/${p.steps}`;
      const loss = p?.loss !== undefined ? ` loss ${p.loss.toFixed(4)}` : '';
      return `${this.label(a)} · ${where}${loss} · run ETA ${formatDuration(this.runLeft(a, now))} · bench ETA ${formatDuration(this.benchLeft(now))}`.slice(0, width);
    });
    if (lines.length > 0) this.write(`${lines.join('\n')}\n`);
    this.drawn = lines.length;
  }

  /** Prints a line above the live lines. */
  log(line: string): void {
    this.clear();
    this.write(`${line}\n`);
    this.draw(true);
  }

  /** A run started on job `slot`. */
  start(slot: number, index: number): void {
    this.active.set(slot, { run: this.runs[index], index, started: performance.now() });
    this.draw(true);
  }

  /** A progress update of the run on `slot`. */
  update(slot: number, progress: RunProgress): void {
    const a = this.active.get(slot);
    if (a === undefined) return;
    a.progress = progress;
    const e = progress.epochDone;
    if (e !== undefined && !this.tty) {
      const metric = e.accuracy !== undefined ? ` accuracy ${e.accuracy.toFixed(4)}` : e.valLoss !== undefined ? ` val_loss ${e.valLoss.toFixed(4)}` : '';
      this.log(`${this.label(a)}: epoch ${e.epoch}/${progress.epochs} loss ${e.loss.toFixed(4)}${metric} (${e.seconds.toFixed(1)} s) · bench ETA ${formatDuration(this.benchLeft(performance.now()))}`);
    } else {
      this.draw();
    }
  }

  /** The run on `slot` ended; `summary` says how. `counted` is false for an interrupted run. */
  finish(slot: number, summary: string, wallSeconds: number, counted = true): void {
    const a = this.active.get(slot);
    if (a === undefined) return;
    this.active.delete(slot);
    if (counted) {
      this.done.add(a.index);
      this.actualSeconds += wallSeconds;
      this.estimatedDone += this.estimates[a.index];
    }
    this.log(`${this.label(a)}: ${summary}`);
  }

  /** Stops redrawing. */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.clear();
  }
}
