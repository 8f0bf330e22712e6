/**
 * The calibration cache: measured speeds per network configuration, kept in `<out>/calibration.json` so that a
 * resumed bench sizes its runs exactly as before (a budget-sized plan depends on it), and shareable with
 * `--calibration FILE` so every shard of a bench sizes alike. Existing entries are never changed; new keys are added.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import type { CalibrationSample } from '../runners/types.js';

/** The calibration file's content. */
export interface CalibrationFile {
  /** Format version. */
  format: 1;
  /** Samples by key (`<backend>:t<threads>:<runner key>`). */
  samples: Record<string, CalibrationSample>;
  /** Seconds the calibrations took (left out of a budget). */
  seconds: number;
  /** Why a key could not be measured (e.g. out of memory in the wasm heap), by key: the table is left out. */
  failures?: Record<string, string>;
  /** Seconds every run pays besides its network (start-up, modules, exit), by `<backend>:t<threads>:j<jobs>`. */
  overheads?: Record<string, number>;
}

/** Reads a calibration file; an absent file is empty. A corrupt one is a RangeError naming it. */
export function readCalibration(file: string): CalibrationFile {
  if (!existsSync(file)) return { format: 1, samples: {}, seconds: 0 };
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as CalibrationFile;
    if (parsed.format !== 1 || typeof parsed.samples !== 'object') throw new Error('not a calibration file');
    return parsed;
  } catch (error) {
    throw new RangeError(`${file} is not a bench calibration file (${error instanceof Error ? error.message : String(error)}); remove it or pass --recalibrate`);
  }
}

/** Writes `content` to `file` atomically (temporary file, then rename). */
export function writeCalibration(file: string, content: CalibrationFile): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(content, null, 2)}\n`);
  renameSync(tmp, file);
}

/** The cache key of a runner key measured on `backend` with `threads` threads. */
export function calibrationKey(backend: string, threads: number, runnerKey: string): string {
  return `${backend}:t${threads}:${runnerKey}`;
}
