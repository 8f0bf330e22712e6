import { rampSchedule, type RampOptions } from './ramp.js';
import type { KeepProbSchedule } from './types.js';

/** Options of {@link linearSchedule}: see {@link RampOptions}. */
export type LinearScheduleOptions = RampOptions;

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
  return rampSchedule(options, 'linearSchedule', (start, target, t) => start + (target - start) * t);
}
