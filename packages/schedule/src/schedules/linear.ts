import {
  assertFractionOpenClosed,
  assertKeepProb,
  assertOptionsObject,
  assertProgress,
} from '../validate.js';
import type { KeepProbSchedule } from './types.js';

/** Options of {@link linearSchedule}. */
export interface LinearScheduleOptions {
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

/**
 * The paper's schedule: keepProb falls linearly from `start` (1.0) at the beginning of training to `target` at
 * `rampFraction` of training, and stays at `target` afterwards.
 *
 * Ghiasi, Lin, Le, *DropBlock* (NeurIPS 2018), §3 "Scheduled DropBlock": a fixed keep_prob throughout training
 * hurts the early phase (too much noise while features are still forming), whereas linearly decreasing keep_prob
 * from 1.0 to the target value over training is more robust and works best; the official TensorFlow ResNet does
 * `keep_prob = 1 - (step / train_steps) * (1 - target)`.
 *
 * Whether "progress" counts steps or epochs is the caller's choice: {@link DropBlockScheduler} feeds it per batch
 * (the paper's per-step decrease) or per epoch (`granularity: 'epoch'`), through {@link trainingProgress}.
 *
 * @example
 * ```ts
 * const schedule = linearSchedule({ target: 0.9 });
 * schedule(0);   // 1
 * schedule(0.5); // 0.95
 * schedule(1);   // 0.9
 * ```
 */
export function linearSchedule(options: LinearScheduleOptions): KeepProbSchedule {
  assertOptionsObject(options, 'linearSchedule options');
  const { target, start = 1, rampFraction = 1 } = options;
  assertKeepProb(target, 'target');
  assertKeepProb(start, 'start');
  assertFractionOpenClosed(rampFraction, 'rampFraction');
  return (progress: number): number => {
    assertProgress(progress);
    const t = Math.min(progress / rampFraction, 1);
    // At t = 1 return the target itself, not start + (target - start) * 1, which can be off by one ulp.
    return t >= 1 ? target : start + (target - start) * t;
  };
}
