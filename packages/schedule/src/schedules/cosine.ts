import { rampSchedule, type RampOptions } from './ramp.js';
import type { KeepProbSchedule } from './types.js';

/** Options of {@link cosineSchedule}: see {@link RampOptions}. */
export type CosineScheduleOptions = RampOptions;

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
  return rampSchedule(options, 'cosineSchedule', (start, target, t) => target + ((start - target) * (1 + Math.cos(Math.PI * t))) / 2);
}
