/**
 * keepProb schedules for DropBlock (Ghiasi, Lin, Le, NeurIPS 2018, §3 "Scheduled DropBlock") and the
 * {@link DropBlockScheduler} training callback that applies them to every DropBlock layer of a TF.js model.
 *
 * @packageDocumentation
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { dropBlock2D } from '@db/tfjs-layer';
 * import { DropBlockScheduler, linearSchedule } from '@db/schedule';
 *
 * const model = tf.sequential({
 *   layers: [
 *     tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }),
 *     dropBlock2D({ blockSize: 3 }),
 *     tf.layers.flatten(),
 *     tf.layers.dense({ units: 2, activation: 'softmax' }),
 *   ],
 * });
 * model.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
 *
 * // keepProb 1.0 on the first batch, 0.9 on the last, linear in between (the paper's schedule).
 * const scheduler = new DropBlockScheduler({ schedule: linearSchedule({ target: 0.9 }) });
 * const xs = tf.randomUniform([16, 8, 8, 1]);
 * const ys = tf.oneHot(tf.randomUniform([16], 0, 2, 'int32'), 2);
 * await model.fit(xs, ys, { epochs: 2, batchSize: 4, callbacks: [scheduler], verbose: 0 });
 * console.log(scheduler.currentKeepProb); // 0.9
 * ```
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
