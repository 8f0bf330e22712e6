/**
 * Argument checks shared by every public function. Each error names the argument it rejects, so a caller
 * deep inside a model sees at once which option was wrong.
 *
 * One style for every @db package: a value of the wrong type throws a `TypeError`, a value of the right type
 * outside its range a `RangeError`; the message reads `<argument> must be <what>, got <value>`, with the value
 * shown by {@link describeValue} (which names its type unless it is a number).
 */

const MAX_SHOWN = 40;

function shorten(text: string): string {
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN - 3)}...` : text;
}

/**
 * Shows a rejected argument value in an error message. Numbers, `undefined` and `null` appear as themselves
 * (`0`, `NaN`, `undefined`); every other value with its type, so a value that merely prints like a valid one is
 * not mistaken for it: `the string '0.9'`, `the boolean true`, `an array [1,2]`, `an object {"a":1}`, `a Tensor`,
 * `a function`. Long values are shortened.
 *
 * @example `keepProb must be a number in (0, 1], got ${describeValue('0.9')}` // ... got the string '0.9'
 */
export function describeValue(value: unknown): string {
  switch (typeof value) {
    case 'number':
    case 'undefined':
      return String(value);
    case 'string':
      return `the string '${shorten(value)}'`;
    case 'boolean':
      return `the boolean ${value}`;
    case 'bigint':
      return `the bigint ${value}n`;
    case 'symbol':
      return `the symbol ${shorten(String(value))}`;
    case 'function':
      return 'a function';
  }
  if (value === null) return 'null';
  const proto = Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null;
  const className = proto?.constructor?.name;
  if (!Array.isArray(value) && proto !== null && proto !== Object.prototype && className) {
    return `${/^[AEIOU]/.test(className) ? 'an' : 'a'} ${className}`;
  }
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch {
    // cyclic or holding a bigint: the kind alone
  }
  const kind = Array.isArray(value) ? 'an array' : 'an object';
  return json === undefined ? kind : `${kind} ${shorten(json)}`;
}

/** Throws unless `keepProb` is a finite number in (0, 1] (the paper's keep_prob; 0 would drop everything). */
export function assertKeepProb(keepProb: unknown, name = 'keepProb'): asserts keepProb is number {
  if (typeof keepProb !== 'number') throw new TypeError(`${name} must be a number in (0, 1], got ${describeValue(keepProb)}`);
  if (!Number.isFinite(keepProb) || keepProb <= 0 || keepProb > 1) {
    throw new RangeError(`${name} must be a number in (0, 1], got ${describeValue(keepProb)}`);
  }
}

/** Throws unless `value` is an integer >= 1. */
export function assertPositiveInteger(value: unknown, name: string): asserts value is number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a positive integer, got ${describeValue(value)}`);
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer, got ${describeValue(value)}`);
  }
}

/** Throws unless `value` is an integer >= 0. */
export function assertNonNegativeInteger(value: unknown, name: string): asserts value is number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a non-negative integer, got ${describeValue(value)}`);
  if (!Number.isInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative integer, got ${describeValue(value)}`);
  }
}

/** Throws unless `seed` is undefined or a finite number (it is reduced to 32 bits by the PRNG). */
export function assertSeed(seed: unknown, name = 'seed'): asserts seed is number | undefined {
  if (seed === undefined) return;
  if (typeof seed !== 'number') throw new TypeError(`${name} must be a finite number when given, got ${describeValue(seed)}`);
  if (!Number.isFinite(seed)) throw new RangeError(`${name} must be a finite number when given, got ${describeValue(seed)}`);
}
