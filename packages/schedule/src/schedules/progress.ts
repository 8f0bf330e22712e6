import { assertNonNegativeInteger, assertPositiveInteger } from '../validate.js';

/**
 * The training progress of step (or epoch) `index` out of `total`: `index / (total - 1)`, so the first step
 * (index 0) has progress 0 and the last (index `total - 1`) has progress 1. This way a linear schedule uses
 * exactly 1.0 on the first step and exactly its target on the last, as the paper describes ("linearly decrease
 * keep_prob from 1.0 to the target value", §3 "Scheduled DropBlock"). The official TensorFlow ResNet uses
 * `current_step / train_steps` instead, which never quite reaches the target; the two differ by one step.
 *
 * Indices past the end (training run longer than planned) give 1: the schedule holds its final value.
 * With `total` 1 the only step is the last one, so its progress is 1.
 *
 * @param index zero-based step or epoch index (a non-negative integer).
 * @param total number of steps or epochs in the whole of training (a positive integer).
 * @returns the progress in [0, 1].
 */
export function trainingProgress(index: number, total: number): number {
  assertNonNegativeInteger(index, 'index');
  assertPositiveInteger(total, 'total');
  if (total === 1) return 1;
  return Math.min(index / (total - 1), 1);
}
