import {
  assertFractionOpenClosed,
  assertKeepProb,
  assertOptionsObject,
  assertProgress,
} from '../validate.js';
import { assertKnownOptions, optionKeys } from '@db/core';
import type { KeepProbSchedule } from './types.js';

/** Options shared by the ramp schedules ({@link linearSchedule}, {@link cosineSchedule}). */
export interface RampOptions {
  /** The keepProb reached at the end of the ramp (the paper's keep_prob, e.g. 0.9), in (0, 1]. */
  target: number;
  /** The keepProb at the start of training, in (0, 1]. Default 1 (no dropping), as in the paper. */
  start?: number;
  /**
   * The fraction of training, in (0, 1], at which the target is reached; from then on the target is held.
   * Default 1: the ramp lasts the whole of training, as in the paper.
   */
  rampFraction?: number;
}

const RAMP_OPTION_KEYS = optionKeys<RampOptions>()(['target', 'start', 'rampFraction']);

/**
 * A schedule that goes from `start` to `target` over the first `rampFraction` of training along `shape`
 * (`t` in [0, 1) is the position on the ramp), then holds `target`. At the end of the ramp it returns the target
 * itself, not `shape(start, target, 1)`, which can be off by one ulp.
 */
export function rampSchedule(
  options: RampOptions,
  label: string,
  shape: (start: number, target: number, t: number) => number,
): KeepProbSchedule {
  assertOptionsObject(options, `${label} options`);
  assertKnownOptions(options, RAMP_OPTION_KEYS, `${label} options`);
  const { target, start = 1, rampFraction = 1 } = options;
  assertKeepProb(target, 'target');
  assertKeepProb(start, 'start');
  assertFractionOpenClosed(rampFraction, 'rampFraction');
  return (progress: number): number => {
    assertProgress(progress);
    const t = Math.min(progress / rampFraction, 1);
    return t >= 1 ? target : shape(start, target, t);
  };
}
