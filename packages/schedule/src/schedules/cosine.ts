import {
  assertFractionOpenClosed,
  assertKeepProb,
  assertOptionsObject,
  assertProgress,
} from '../validate.js';
import type { KeepProbSchedule } from './types.js';

/** Options of {@link cosineSchedule}. */
export interface CosineScheduleOptions {
  /** The keepProb reached at the end of the ramp, in (0, 1]. */
  target: number;
  /** The keepProb at the start of training, in (0, 1]. Default 1. */
  start?: number;
  /** The fraction of training, in (0, 1], at which the target is reached and then held. Default 1. */
  rampFraction?: number;
}

/**
 * A half-cosine ramp from `start` to `target`:
 * `keepProb(p) = target + (start - target) * (1 + cos(pi * t)) / 2` with `t = min(p / rampFraction, 1)`.
 *
 * Same end points as {@link linearSchedule} (1.0 at the start, the target at the end, which is what the paper
 * asks of a schedule, §3 "Scheduled DropBlock"), but flat at both ends: it stays near 1.0 longer in the fragile
 * early phase and settles gently onto the target, crossing the linear ramp at the midpoint. The paper itself only
 * evaluated the linear schedule; this is the cosine shape learning-rate schedules use, offered as an alternative.
 */
export function cosineSchedule(options: CosineScheduleOptions): KeepProbSchedule {
  assertOptionsObject(options, 'cosineSchedule options');
  const { target, start = 1, rampFraction = 1 } = options;
  assertKeepProb(target, 'target');
  assertKeepProb(start, 'start');
  assertFractionOpenClosed(rampFraction, 'rampFraction');
  return (progress: number): number => {
    assertProgress(progress);
    const t = Math.min(progress / rampFraction, 1);
    if (t >= 1) return target;
    return target + ((start - target) * (1 + Math.cos(Math.PI * t))) / 2;
  };
}
