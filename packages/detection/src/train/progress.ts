/**
 * Training progress on stderr: on a terminal a line rewritten after every step (step count, running loss, step
 * time); elsewhere (logs, CI) only the closing line of each epoch.
 */
export class EpochProgress {
  private readonly live: boolean;

  constructor(
    private readonly epoch: number,
    private readonly epochs: number,
    private readonly steps: number,
    private readonly enabled: boolean,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.live = enabled && stream.isTTY === true;
  }

  private get prefix(): string {
    return `epoch ${this.epoch + 1}/${this.epochs}`;
  }

  /** Reports that `done` steps of the epoch are finished. */
  step(done: number, loss: number, seconds: number): void {
    if (!this.live) return;
    const width = 20;
    const filled = Math.round((width * done) / this.steps);
    this.stream.write(
      `\r${this.prefix} [${'='.repeat(filled)}${' '.repeat(width - filled)}] ${done}/${this.steps}  loss ${loss.toFixed(4)}  ${seconds.toFixed(1)} s/step\x1b[K`,
    );
  }

  /** Ends the epoch with its summary line. */
  done(summary: string): void {
    if (!this.enabled) return;
    this.stream.write(`${this.live ? '\r' : ''}${this.prefix}  ${summary}${this.live ? '\x1b[K' : ''}\n`);
  }
}
