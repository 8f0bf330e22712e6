import { assertKeepProb, assertProgress } from '../validate.js';
import type { KeepProbSchedule } from './types.js';

/**
 * The same keepProb throughout training. This is the unscheduled DropBlock the paper compares against and finds
 * worse (§3 "Scheduled DropBlock": a fixed keep_prob hurts learning early on; see also its ablation of the
 * schedule); useful as a baseline, or to pin every DropBlock layer to one value through the scheduler.
 */
export function constantSchedule(keepProb: number): KeepProbSchedule {
  assertKeepProb(keepProb, 'keepProb');
  return (progress: number): number => {
    assertProgress(progress);
    return keepProb;
  };
}
