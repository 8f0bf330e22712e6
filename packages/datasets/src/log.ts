/** Where loaders report what they found (counts, sources, download fallbacks). */
export type Logger = (message: string) => void;

/** Options for loaders that report progress and findings. */
export interface LogOptions {
  /** Receives one-line reports; `false` silences them. Default: write to stderr. */
  log?: Logger | false;
}

/** Resolves the `log` option. */
export function resolveLogger(options: LogOptions): Logger {
  if (options.log === false) return () => {};
  return options.log ?? ((message) => process.stderr.write(`${message}\n`));
}
