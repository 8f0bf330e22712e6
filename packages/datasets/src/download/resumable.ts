import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { DownloadError, type DownloadErrorKind } from '../errors.js';
import { UNREACHABLE, errorCode, idleWatchdog } from './download.js';

/** Bytes a set of downloads may still receive: one shared cap over many files. */
export class ByteBudget {
  /** Bytes received so far. */
  used = 0;

  /** @param cap the most bytes all downloads sharing this budget may receive */
  constructor(readonly cap: number) {}

  get remaining(): number {
    return this.cap - this.used;
  }
}

/** How to fetch one file resumably. */
export interface ResumableDownloadOptions {
  url: string;
  /** Final path. The bytes go to `<dest>.partial` first, which a later call resumes (HTTP Range). */
  dest: string;
  /** The shared size cap; exceeding it stops the download with a 'too-large' {@link DownloadError}. */
  budget: ByteBudget;
  /** What `budget` protects, for the error (e.g. "maxBytes (512 MiB)"). */
  budgetName: string;
  /**
   * Checks the complete `<dest>.partial`; throws to reject it (the partial file is then removed and nothing is left
   * at `dest`). Only a file that passes is renamed to `dest`.
   */
  verify: (file: string) => Promise<void>;
  /** Retries of transient failures (connection cut, 5xx, 408, 429), each resuming what arrived. Default 4. */
  retries?: number;
  /** First backoff delay, doubled after each retry. Default 500 ms. */
  retryDelayMs?: number;
  /** Abort an attempt when no bytes arrive for this long. Default 30 s. */
  idleTimeoutMs?: number;
  /** Added to a network error's message (how to work offline). */
  offlineHint?: string;
}

class AttemptError extends Error {
  constructor(
    readonly kind: DownloadErrorKind,
    readonly retryable: boolean,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

async function fileSize(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Downloads `url` to `dest` so that an interrupted download (a cut connection, a killed process) resumes where it
 * stopped: bytes go to `<dest>.partial`, a retry or a later call asks for the rest with an HTTP Range request
 * (RFC 9110 sec. 14.2; a server answering 200 instead of 206 is read from the start), and only a complete file that
 * `verify` accepts is renamed to `dest` (atomic within a folder). A partial file is never taken as complete: its
 * length is checked against the server's Content-Length / Content-Range. Returns the bytes received.
 */
export async function downloadResumable(options: ResumableDownloadOptions): Promise<number> {
  const retries = options.retries ?? 4;
  const delay = options.retryDelayMs ?? 500;
  const partial = `${options.dest}.partial`;
  await mkdir(path.dirname(options.dest), { recursive: true });
  let received = 0;
  let last: AttemptError | undefined;
  for (let attempt = 0; attempt <= retries; attempt++) {
    if (attempt > 0) await sleep(delay * 2 ** (attempt - 1));
    try {
      received += await attemptOnce(options, partial);
      last = undefined;
      break;
    } catch (err) {
      if (!(err instanceof AttemptError)) throw err;
      received += (err as AttemptError & { received?: number }).received ?? 0;
      last = err;
      if (!err.retryable) break;
    }
  }
  if (last) {
    const hint = last.kind === 'network' && options.offlineHint ? ` ${options.offlineHint}` : '';
    throw new DownloadError(last.kind, options.url, `downloading ${options.url} failed: ${last.message}.${hint}`, { cause: last });
  }
  try {
    await options.verify(partial);
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  }
  await rename(partial, options.dest);
  return received;
}

async function attemptOnce(options: ResumableDownloadOptions, partial: string): Promise<number> {
  const idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
  const watchdog = idleWatchdog(idleTimeoutMs);
  const touch = watchdog.touch;
  let have = await fileSize(partial);
  let got = 0;
  const fail = (kind: DownloadErrorKind, retryable: boolean, message: string, cause?: unknown) =>
    Object.assign(new AttemptError(kind, retryable, message, { cause }), { received: got });
  try {
    touch();
    let response: Response;
    try {
      response = await fetch(options.url, {
        signal: watchdog.signal,
        redirect: 'follow',
        // identity: Range offsets and Content-Length must count the stored bytes, not a compressed transfer.
        headers: { 'accept-encoding': 'identity', ...(have > 0 ? { range: `bytes=${have}-` } : {}) },
      });
    } catch (err) {
      const code = errorCode(err);
      throw fail('network', !UNREACHABLE.has(code ?? ''), `cannot connect (${code ?? (err as Error).message})`, err);
    }
    if (response.status === 416) {
      await response.body?.cancel();
      // A run stopped after the last byte but before verifying: the partial file is the whole file.
      const whole = /^bytes \*\/(\d+)$/.exec(response.headers.get('content-range') ?? '');
      if (whole && Number(whole[1]) === have) return got;
      // Otherwise it is not a prefix the server recognises (e.g. the file changed): start again.
      await rm(partial, { force: true });
      throw fail('truncated', true, 'the server refused to resume (HTTP 416); restarting');
    }
    if (response.status === 404 || response.status === 410) {
      await response.body?.cancel();
      throw fail('not-found', false, `HTTP ${response.status} (not found)`);
    }
    if (!response.ok || !response.body) {
      await response.body?.cancel();
      const transient = response.status >= 500 || response.status === 408 || response.status === 429;
      throw fail('http', transient, `HTTP ${response.status} ${response.statusText}`.trim());
    }
    const length = response.headers.get('content-length');
    const announced = length === null ? undefined : Number(length);
    let append = false;
    if (response.status === 206) {
      const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(response.headers.get('content-range') ?? '');
      if (!range || Number(range[1]) !== have) {
        await response.body.cancel();
        await rm(partial, { force: true });
        throw fail('truncated', true, `the server resumed at the wrong offset (${response.headers.get('content-range')}); restarting`);
      }
      append = true;
    } else {
      have = 0; // a 200 answers with the whole file: write it from the start
    }
    const total = announced === undefined ? undefined : have + announced;
    if (announced !== undefined && announced > options.budget.remaining) {
      await response.body.cancel();
      throw fail(
        'too-large',
        false,
        `${options.url} announces ${announced} more bytes, past ${options.budgetName}: ` +
          `${options.budget.used} of ${options.budget.cap} bytes already received by this call`,
      );
    }
    const budget = options.budget;
    // Each chunk is written (and awaited) before the next is read, so whatever arrived before a cut is on disk for
    // the resume (a write stream destroyed by the error could drop its buffered chunks).
    const file = await open(partial, append ? 'a' : 'w');
    try {
      const body = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>);
      for await (const chunk of body as AsyncIterable<Buffer>) {
        touch();
        if (budget.used + chunk.length > budget.cap) {
          const room = budget.cap - budget.used;
          await file.write(chunk.subarray(0, room));
          got += room;
          budget.used = budget.cap;
          throw fail('too-large', false, `receiving ${options.url} went past ${options.budgetName}`);
        }
        await file.write(chunk);
        got += chunk.length;
        budget.used += chunk.length;
      }
    } catch (err) {
      if (err instanceof AttemptError) throw err;
      const code = errorCode(err);
      // What arrived stays in the partial file: the retry resumes after it.
      throw fail('truncated', true, `truncated: connection cut after ${have + got} bytes (${code ?? (err as Error).message})`, err);
    } finally {
      await file.close();
    }
    const size = await fileSize(partial);
    if (total !== undefined && size !== total) {
      throw fail('truncated', true, `truncated: ${size} of ${total} bytes`);
    }
    return got;
  } finally {
    watchdog.stop();
  }
}
