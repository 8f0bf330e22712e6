import { describe, expect, it } from 'vitest';
import { computeGamma, createRng, describeValue } from './index.js';

/** The error thrown by `fn`, for asserting its class and whole message. */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a throw');
}

describe('argument errors: one style for every @db package', () => {
  it('a wrong type is a TypeError showing the value with its type; an out-of-range number a RangeError', () => {
    const ok = { keepProb: 0.9, blockSize: 3, height: 8, width: 8 };
    const wrongType = thrown(() => computeGamma({ ...ok, keepProb: '0.9' as never }));
    expect(wrongType).toBeInstanceOf(TypeError);
    expect(wrongType.message).toBe("keepProb must be a number in (0, 1], got the string '0.9'");
    const outOfRange = thrown(() => computeGamma({ ...ok, keepProb: 0 }));
    expect(outOfRange).toBeInstanceOf(RangeError);
    expect(outOfRange.message).toBe('keepProb must be a number in (0, 1], got 0');
    expect(thrown(() => computeGamma({ ...ok, blockSize: true as never })).message).toBe('blockSize must be a positive integer, got the boolean true');
    expect(thrown(() => computeGamma({ ...ok, blockSize: 2.5 }))).toBeInstanceOf(RangeError);
    expect(thrown(() => createRng('7' as never))).toBeInstanceOf(TypeError);
    expect(thrown(() => createRng(Number.NaN)).message).toBe('seed must be a finite number, got NaN');
  });

  it('describeValue names the type of everything but numbers, undefined and null', () => {
    expect([0, Number.NaN, -Infinity, undefined, null].map(describeValue)).toEqual(['0', 'NaN', '-Infinity', 'undefined', 'null']);
    expect(describeValue('0.9')).toBe("the string '0.9'");
    expect(describeValue(false)).toBe('the boolean false');
    expect(describeValue(3n)).toBe('the bigint 3n');
    expect(describeValue([1, 2])).toBe('an array [1,2]');
    expect(describeValue({ a: 1 })).toBe('an object {"a":1}');
    expect(describeValue(new Map())).toBe('a Map');
    expect(describeValue(new ArrayBuffer(1))).toBe('an ArrayBuffer');
    expect(describeValue(() => 1)).toBe('a function');
    expect(describeValue('x'.repeat(100))).toBe(`the string '${'x'.repeat(37)}...'`);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(describeValue(cyclic)).toBe('an object');
  });
});
