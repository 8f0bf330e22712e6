/**
 * Argument checks shared by the schedules and the scheduler. Each error names the argument that was wrong and
 * the value it got, so a bad configuration fails at construction rather than as NaN loss many steps later.
 */

/** `value` is a finite number, else an error naming `name`. */
export function assertFiniteNumber(value: unknown, name: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new Error(`${name} must be a finite number, but got ${String(value)}.`);
  }
}

/**
 * `value` is a valid DropBlock keepProb: in (0, 1]. 0 is excluded because the seed rate gamma is proportional to
 * 1 - keepProb and a keepProb of 0 drops every unit, leaving nothing to rescale (paper §3, eq. 1).
 */
export function assertKeepProb(value: unknown, name: string): asserts value is number {
  assertFiniteNumber(value, name);
  if (!(value > 0 && value <= 1)) {
    throw new Error(`${name} must be in (0, 1], but got ${value}.`);
  }
}

/** `value` is a training progress: a fraction of training in [0, 1]. */
export function assertProgress(value: unknown, name = 'progress'): asserts value is number {
  assertFiniteNumber(value, name);
  if (!(value >= 0 && value <= 1)) {
    throw new Error(`${name} must be in [0, 1] (the fraction of training done), but got ${value}.`);
  }
}

/** `value` is a fraction in (0, 1] (e.g. the part of training a ramp lasts). */
export function assertFractionOpenClosed(value: unknown, name: string): asserts value is number {
  assertFiniteNumber(value, name);
  if (!(value > 0 && value <= 1)) {
    throw new Error(`${name} must be in (0, 1], but got ${value}.`);
  }
}

/** `value` is an integer >= 1. */
export function assertPositiveInteger(value: unknown, name: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new Error(`${name} must be a positive integer, but got ${String(value)}.`);
  }
}

/** `value` is an integer >= 0. */
export function assertNonNegativeInteger(value: unknown, name: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new Error(`${name} must be a non-negative integer, but got ${String(value)}.`);
  }
}

/** `value` is a plain object (an options bag), else an error naming `name`. */
export function assertOptionsObject(value: unknown, name: string): asserts value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${name} must be an options object, but got ${value === null ? 'null' : typeof value}.`);
  }
}
