/**
 * Argument checks shared by every public function. Each error names the argument it rejects, so a caller
 * deep inside a model sees at once which option was wrong.
 */

/** Throws unless `keepProb` is a finite number in (0, 1] (the paper's keep_prob; 0 would drop everything). */
export function assertKeepProb(keepProb: unknown, name = 'keepProb'): asserts keepProb is number {
  if (typeof keepProb !== 'number' || !Number.isFinite(keepProb) || keepProb <= 0 || keepProb > 1) {
    throw new RangeError(`${name} must be a number in (0, 1], got ${String(keepProb)}`);
  }
}

/** Throws unless `value` is an integer >= 1. */
export function assertPositiveInteger(value: unknown, name: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer, got ${String(value)}`);
  }
}

/** Throws unless `value` is an integer >= 0. */
export function assertNonNegativeInteger(value: unknown, name: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative integer, got ${String(value)}`);
  }
}

/** Throws unless `seed` is undefined or a finite number (it is reduced to 32 bits by the PRNG). */
export function assertSeed(seed: unknown, name = 'seed'): asserts seed is number | undefined {
  if (seed !== undefined && (typeof seed !== 'number' || !Number.isFinite(seed))) {
    throw new TypeError(`${name} must be a finite number when given, got ${String(seed)}`);
  }
}
