/**
 * keepProb schedules for DropBlock (Ghiasi, Lin, Le, NeurIPS 2018, §3 "Scheduled DropBlock") and the
 * {@link DropBlockScheduler} training callback that applies them to every DropBlock layer of a TF.js model.
 *
 * @packageDocumentation
 */
export type { KeepProbSchedule } from './schedules/types.js';
export { trainingProgress } from './schedules/progress.js';
export { linearSchedule, type LinearScheduleOptions } from './schedules/linear.js';
export { cosineSchedule, type CosineScheduleOptions } from './schedules/cosine.js';
export type { RampOptions } from './schedules/ramp.js';
export { constantSchedule } from './schedules/constant.js';
export { stepwiseSchedule, type StepwiseScheduleOptions } from './schedules/stepwise.js';
export { findDropBlockLayers, type DropBlockLayer } from './find-layers.js';
export { scaleKeepProb, MIN_SCALED_KEEP_PROB, type LayerScale } from './scale.js';
export { setKeepProb } from './set-keep-prob.js';
export {
  DropBlockScheduler,
  type DropBlockSchedulerOptions,
  type ScheduleGranularity,
  type MissingLayersPolicy,
} from './scheduler.js';
