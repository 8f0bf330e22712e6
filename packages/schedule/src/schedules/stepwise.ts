import { assertKeepProb, assertOptionsObject, assertProgress } from '../validate.js';
import { assertKnownOptions, describeValue, optionKeys } from '@db/core';
import type { KeepProbSchedule } from './types.js';

/** Options of {@link stepwiseSchedule}. */
export interface StepwiseScheduleOptions {
  /** Progress values, strictly increasing, each in (0, 1), where keepProb changes. */
  boundaries: readonly number[];
  /** keepProbs, each in (0, 1]: one more than `boundaries` (the value before the first boundary comes first). */
  values: readonly number[];
}

/**
 * A piecewise-constant schedule: `values[0]` before `boundaries[0]`, `values[i + 1]` from `boundaries[i]`
 * (inclusive) until the next boundary. E.g. `{ boundaries: [0.25, 0.5], values: [1, 0.95, 0.9] }` trains the
 * first quarter without DropBlock, the second at 0.95 and the second half at 0.9: a coarse version of the
 * paper's gradual decrease (§3 "Scheduled DropBlock"), like a step learning-rate decay.
 *
 * Unlike Keras' `PiecewiseConstantDecay` (which switches after a boundary), a boundary here belongs to the
 * segment it starts, so "from half-way on" is `boundaries: [0.5]`.
 */
export function stepwiseSchedule(options: StepwiseScheduleOptions): KeepProbSchedule {
  assertOptionsObject(options, 'stepwiseSchedule options');
  assertKnownOptions(options, optionKeys<StepwiseScheduleOptions>()(['boundaries', 'values']), 'stepwiseSchedule options');
  const { boundaries, values } = options;
  if (!Array.isArray(boundaries)) {
    throw new TypeError(`boundaries must be an array of progress values in (0, 1), got ${describeValue(boundaries)}`);
  }
  if (!Array.isArray(values)) {
    throw new TypeError(`values must be an array of keepProbs in (0, 1], got ${describeValue(values)}`);
  }
  if (values.length !== boundaries.length + 1) {
    throw new RangeError(
      `values must have one more entry than boundaries (${boundaries.length} boundaries need ` +
        `${boundaries.length + 1} values), got ${values.length}`,
    );
  }
  boundaries.forEach((b, i) => {
    if (typeof b !== 'number') throw new TypeError(`boundaries[${i}] must be a progress value in (0, 1), got ${describeValue(b)}`);
    if (!(b > 0 && b < 1)) throw new RangeError(`boundaries[${i}] must be a progress value in (0, 1), got ${describeValue(b)}`);
    if (i > 0 && !(b > boundaries[i - 1])) {
      throw new RangeError(`boundaries must be strictly increasing, got boundaries[${i}] = ${b} after ${boundaries[i - 1]}`);
    }
  });
  values.forEach((v, i) => assertKeepProb(v, `values[${i}]`));
  // Copy, so later mutation of the caller's arrays cannot change a schedule already in use.
  const bs = [...boundaries];
  const vs = [...values];
  return (progress: number): number => {
    assertProgress(progress);
    let segment = 0;
    while (segment < bs.length && progress >= bs[segment]) segment++;
    return vs[segment];
  };
}
