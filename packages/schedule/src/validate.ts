/**
 * Argument checks shared by the schedules and the scheduler. Each error names the argument that was wrong and
 * the value it got, so a bad configuration fails at construction rather than as NaN loss many steps later.
 * They follow the style of every @db package (see `@db/core`'s `describeValue`): `TypeError` for a wrong type,
 * `RangeError` for a number out of range, `<argument> must be <what>, got <value>`.
 */
import { describeValue } from '@db/core';

/**
 * `value` is a valid DropBlock keepProb: in (0, 1]. 0 is excluded because the seed rate gamma is proportional to
 * 1 - keepProb and a keepProb of 0 drops every unit, leaving nothing to rescale (paper §3, eq. 1).
 */
export { assertKeepProb, assertNonNegativeInteger, assertPositiveInteger } from '@db/core';

/** `value` is a number, else a TypeError; `what` completes "`name` must be ...". */
function assertNumber(value: unknown, name: string, what: string): asserts value is number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be ${what}, got ${describeValue(value)}`);
}

/** `value` is a finite number, else an error naming `name`. */
export function assertFiniteNumber(value: unknown, name: string): asserts value is number {
  assertNumber(value, name, 'a finite number');
  if (!Number.isFinite(value)) throw new RangeError(`${name} must be a finite number, got ${describeValue(value)}`);
}

/** `value` is a training progress: a fraction of training in [0, 1]. */
export function assertProgress(value: unknown, name = 'progress'): asserts value is number {
  const what = 'a number in [0, 1] (the fraction of training done)';
  assertNumber(value, name, what);
  if (!(value >= 0 && value <= 1)) throw new RangeError(`${name} must be ${what}, got ${describeValue(value)}`);
}

/** `value` is a fraction in (0, 1] (e.g. the part of training a ramp lasts). */
export function assertFractionOpenClosed(value: unknown, name: string): asserts value is number {
  assertNumber(value, name, 'a number in (0, 1]');
  if (!(value > 0 && value <= 1)) throw new RangeError(`${name} must be a number in (0, 1], got ${describeValue(value)}`);
}

/** `value` is a plain object (an options bag), else an error naming `name`. */
export function assertOptionsObject(value: unknown, name: string): asserts value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`${name} must be an options object, got ${describeValue(value)}`);
  }
}
