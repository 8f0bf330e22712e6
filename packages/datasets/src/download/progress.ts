/** What a download reports while it runs. */
export interface DownloadProgress {
  /** Label of the file (e.g. `cifar-10-binary.tar.gz`). */
  label: string;
  /** Bytes received so far (compressed bytes, when the download is gunzipped on the fly). */
  received: number;
  /** Bytes announced by the server, when it announced them. */
  total?: number;
  /** Mean rate since the attempt started, bytes per second. */
  bytesPerSecond: number;
  /** Estimated seconds left, when `total` is known and the rate is positive. */
  etaSeconds?: number;
  /** True on the last report of an attempt. */
  done: boolean;
}

/** Receives progress reports. */
export type ProgressListener = (progress: DownloadProgress) => void;

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} kB`;
  return `${(n / 1024 ** 2).toFixed(1)} MB`;
}

function formatDuration(s: number): string {
  const t = Math.round(s);
  return `${Math.floor(t / 60)}:${String(t % 60).padStart(2, '0')}`;
}

/** One line: `label  12.3 MB / 162.6 MB  4.1 MB/s  ETA 0:37`. */
export function formatProgress(p: DownloadProgress): string {
  const size = p.total !== undefined ? `${formatBytes(p.received)} / ${formatBytes(p.total)}` : formatBytes(p.received);
  const eta = p.etaSeconds !== undefined && !p.done ? `  ETA ${formatDuration(p.etaSeconds)}` : '';
  return `${p.label}  ${size}  ${formatBytes(p.bytesPerSecond)}/s${eta}`;
}

/**
 * A listener that redraws one line on a terminal (stderr, so piped stdout stays clean), at most every
 * 200 ms, and ends the line when done.
 */
export function terminalProgress(stream: NodeJS.WriteStream = process.stderr): ProgressListener {
  let last = 0;
  return (p) => {
    const now = Date.now();
    if (!p.done && now - last < 200) return;
    last = now;
    stream.write(`\r\x1b[2K${formatProgress(p)}${p.done ? '\n' : ''}`);
  };
}

/** Tracks bytes and time for one attempt and calls the listener. */
export class ProgressMeter {
  private received = 0;
  private readonly start = Date.now();

  constructor(
    private readonly label: string,
    private readonly total: number | undefined,
    private readonly listener: ProgressListener | undefined,
  ) {}

  /** Bytes received so far. */
  get bytes(): number {
    return this.received;
  }

  add(n: number): void {
    this.received += n;
    this.emit(false);
  }

  finish(): void {
    this.emit(true);
  }

  private emit(done: boolean): void {
    if (!this.listener) return;
    const seconds = Math.max((Date.now() - this.start) / 1000, 1e-3);
    const rate = this.received / seconds;
    const etaSeconds = this.total !== undefined && rate > 0 ? Math.max(this.total - this.received, 0) / rate : undefined;
    this.listener({ label: this.label, received: this.received, total: this.total, bytesPerSecond: rate, etaSeconds, done });
  }
}
