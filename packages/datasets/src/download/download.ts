import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { DownloadError, numberArgumentError } from '../errors.js';
import type { Checksum } from './checksum.js';
import { ProgressMeter, terminalProgress, type ProgressListener } from './progress.js';
import { DOWNLOAD_OPTION_KEYS, assertKnownOptions } from '../option-keys.js';

/** How to fetch one file. */
export interface DownloadOptions {
  /** URLs serving the same file, tried in order: a 404 or exhausted retries move on to the next one. */
  urls: readonly string[];
  /** Final path. Written only once complete and verified (via a temporary name in the same folder + rename). */
  dest: string;
  /** Published checksum of the bytes written to `dest` (after gunzip, when `gunzip` is set). */
  checksum: Checksum;
  /** Decompress a gzip stream while downloading (MNIST mirrors serve `.gz`; the cache keeps raw IDX). */
  gunzip?: boolean;
  /**
   * The file's known size in bytes (of what is written to `dest`: after gunzip, when `gunzip` is set). The download
   * stops as soon as more arrive, or at once when the server announces more (Content-Length), instead of filling
   * the disk before the checksum could reject it; with `gunzip`, the compressed stream is capped too. A file that
   * comes out shorter fails its checksum. Give it for every published file.
   */
  size?: number;
  /** Retries per URL of transient failures (HTTP 5xx/408/429, connection resets, truncated bodies). Default 4. */
  retries?: number;
  /** First backoff delay; doubled after each retry (exponential backoff). Default 500 ms. */
  retryDelayMs?: number;
  /** Abort an attempt when no bytes arrive for this long. Default 30 s. */
  idleTimeoutMs?: number;
  /**
   * Progress reporting: `true` draws bytes, rate and ETA on stderr, `false` is silent, a function receives
   * the numbers. Default: draw only when stderr is a terminal.
   */
  progress?: boolean | ProgressListener;
  /** Name shown in progress and errors. Default: the destination's file name. */
  label?: string;
}

/** Error codes that say the host cannot be reached at all (no network, no DNS): retrying will not help. */
export const UNREACHABLE = new Set(['ENOTFOUND', 'ENETUNREACH', 'EHOSTUNREACH', 'EAI_AGAIN']);

class AttemptError extends Error {
  constructor(
    readonly kind: DownloadError['kind'],
    readonly retryable: boolean,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The first `code` on an error or its chain of causes (fetch wraps the socket's error in `cause`). */
export function errorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function progressListener(progress: DownloadOptions['progress']): ProgressListener | undefined {
  if (typeof progress === 'function') return progress;
  if (progress === true || (progress === undefined && process.stderr.isTTY)) return terminalProgress();
  return undefined;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Downloads a file, verifies it against its published checksum, and only then renames it into place. A
 * failed, interrupted or corrupt download leaves nothing at `dest` (its temporary file is removed), so a later
 * load can never pick up half a file. Throws a {@link DownloadError} whose `kind` says what went wrong.
 */
export async function downloadFile(options: DownloadOptions): Promise<string> {
  assertKnownOptions(options, DOWNLOAD_OPTION_KEYS, 'downloadFile options');
  const { urls, dest, checksum } = options;
  if (urls.length === 0) throw new RangeError('downloadFile: urls must name at least one URL');
  if (!/^[0-9a-f]+$/.test(checksum.hex)) throw new RangeError(`downloadFile: checksum.hex must be lower-case hex, got "${checksum.hex}"`);
  if (options.size !== undefined && !(Number.isSafeInteger(options.size) && options.size > 0)) {
    throw numberArgumentError('downloadFile: size', 'a positive integer', options.size);
  }
  const retries = options.retries ?? 4;
  const delay = options.retryDelayMs ?? 500;
  const label = options.label ?? path.basename(dest);
  const listener = progressListener(options.progress);
  await mkdir(path.dirname(dest), { recursive: true });

  const failures: string[] = [];
  let last: AttemptError | undefined;
  let lastUrl = urls[0];
  for (const url of urls) {
    lastUrl = url;
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) await sleep(delay * 2 ** (attempt - 1));
      try {
        await attemptDownload(url, options, label, listener);
        return dest;
      } catch (err) {
        if (!(err instanceof AttemptError)) throw err;
        last = err;
        if (!err.retryable) break;
      }
    }
    failures.push(`${url}: ${last!.message}`);
    // A checksum mismatch means this URL serves different bytes; another mirror may serve the right ones.
  }
  const kind = last!.kind;
  const hint =
    kind === 'network'
      ? ' No network? Put the files in a data directory (dataDir option or DB_DATA_DIR) instead.'
      : kind === 'not-found'
        ? ' Check the mirror URL.'
        : '';
  throw new DownloadError(kind, lastUrl, `downloading ${label} failed.${hint}\n  ${failures.join('\n  ')}`, {
    cause: last,
  });
}

/**
 * An abort signal that fires when `touch` has not been called for `idleTimeoutMs` (a stalled server), for fetch and
 * the body reads of one download attempt; `stop` clears it when the attempt ends.
 */
export function idleWatchdog(idleTimeoutMs: number): { signal: AbortSignal; touch: () => void; stop: () => void } {
  const controller = new AbortController();
  let idle: NodeJS.Timeout | undefined;
  return {
    signal: controller.signal,
    touch: () => {
      clearTimeout(idle);
      idle = setTimeout(() => controller.abort(new Error(`no data for ${idleTimeoutMs} ms`)), idleTimeoutMs);
    },
    stop: () => clearTimeout(idle),
  };
}

async function attemptDownload(
  url: string,
  options: DownloadOptions,
  label: string,
  listener: ProgressListener | undefined,
): Promise<void> {
  const idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
  const watchdog = idleWatchdog(idleTimeoutMs);
  const touch = watchdog.touch;
  const tmp = `${options.dest}.part-${process.pid}-${randomBytes(4).toString('hex')}`;
  let meter: ProgressMeter | undefined;
  let total: number | undefined;
  try {
    touch();
    let response: Response;
    try {
      response = await fetch(url, { signal: watchdog.signal, redirect: 'follow' });
    } catch (err) {
      const code = errorCode(err);
      throw new AttemptError(
        'network',
        !UNREACHABLE.has(code ?? ''),
        `cannot connect (${code ?? (err as Error).message})`,
        { cause: err },
      );
    }
    if (response.status === 404 || response.status === 410) {
      await response.body?.cancel();
      throw new AttemptError('not-found', false, `HTTP ${response.status} (not found)`);
    }
    if (!response.ok || !response.body) {
      await response.body?.cancel();
      const transient = response.status >= 500 || response.status === 408 || response.status === 429;
      throw new AttemptError('http', transient, `HTTP ${response.status} ${response.statusText}`.trim());
    }
    const length = response.headers.get('content-length');
    // With Content-Encoding, fetch hands over decoded bytes, so the header no longer counts what we receive.
    if (length !== null && !response.headers.get('content-encoding')) total = Number(length);
    // Caps: the file's size on what is written, and on what is received (for gzip: deflate's stored blocks add 5
    // bytes per 64 KiB, plus header and trailer, so a gzip of `size` bytes is never much larger than `size`).
    const size = options.size;
    const receiveCap = size === undefined ? undefined : options.gunzip ? size + Math.ceil(size / 1000) + 1024 : size;
    if (receiveCap !== undefined && total !== undefined && total > receiveCap) {
      await response.body.cancel();
      throw new AttemptError('too-large', false, `the server announces ${total} bytes, more than the ${receiveCap} expected`);
    }
    meter = new ProgressMeter(label, total, listener);
    const m = meter;
    const hash = createHash(options.checksum.algorithm);
    const counter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        touch();
        m.add(chunk.length);
        if (receiveCap !== undefined && m.bytes > receiveCap) {
          done(new AttemptError('too-large', false, `received more than the ${receiveCap} bytes expected; not the published file`));
          return;
        }
        done(null, chunk);
      },
    });
    let written = 0;
    const hasher = new Transform({
      transform(chunk: Buffer, _enc, done) {
        written += chunk.length;
        if (size !== undefined && written > size) {
          const what = options.gunzip ? 'decompresses to' : 'received';
          done(new AttemptError('too-large', false, `${what} more than the ${size} bytes expected; not the published file`));
          return;
        }
        hash.update(chunk);
        done(null, chunk);
      },
    });
    const body = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>);
    const stages: NodeJS.ReadWriteStream[] = options.gunzip ? [counter, createGunzip(), hasher] : [counter, hasher];
    try {
      await pipeline([body, ...stages, createWriteStream(tmp)]);
    } catch (err) {
      if (err instanceof AttemptError) throw err;
      const received = meter.bytes;
      if (total !== undefined && received < total) {
        throw new AttemptError('truncated', true, `truncated: received ${received} of ${total} bytes`, { cause: err });
      }
      const code = errorCode(err);
      if (code?.startsWith('Z_')) {
        throw new AttemptError('truncated', true, `not a complete gzip stream (${(err as Error).message})`, { cause: err });
      }
      throw new AttemptError('network', true, `connection failed after ${received} bytes (${code ?? (err as Error).message})`, {
        cause: err,
      });
    }
    if (total !== undefined && meter.bytes !== total) {
      throw new AttemptError('truncated', true, `truncated: received ${meter.bytes} of ${total} bytes`);
    }
    meter.finish();
    const actual = hash.digest('hex');
    if (actual !== options.checksum.hex) {
      throw new AttemptError(
        'checksum',
        false,
        `${options.checksum.algorithm} mismatch: expected ${options.checksum.hex}, got ${actual} (${meter.bytes} bytes); ` +
          `the file is corrupt or not the published one`,
      );
    }
    await rename(tmp, options.dest);
  } finally {
    watchdog.stop();
    // Remove the temporary file on every failure path (after a successful rename it no longer exists).
    await rm(tmp, { force: true });
  }
}
