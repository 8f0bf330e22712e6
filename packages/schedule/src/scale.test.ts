import { describe, expect, it } from 'vitest';
import type { DropBlockLayer } from './find-layers.js';
import { MIN_SCALED_KEEP_PROB, resolveScaleFactors, scaleKeepProb } from './scale.js';

describe('scaleKeepProb', () => {
  it('multiplies the drop rate 1 - keepProb, not keepProb', () => {
    // Official TF ResNet: group 3 drops 4x less than group 4.
    expect(scaleKeepProb(0.9, 0.25)).toBeCloseTo(1 - 0.1 / 4, 12);
    expect(scaleKeepProb(0.8, 2)).toBeCloseTo(0.6, 12);
    expect(scaleKeepProb(0.9, 1)).toBe(0.9);
    expect(scaleKeepProb(0.7, 0)).toBe(1);
  });

  it('keeps 1.0 at 1.0 whatever the factor', () => {
    for (const f of [0, 0.25, 1, 4, 100]) expect(scaleKeepProb(1, f)).toBe(1);
  });

  it('clamps a drop rate of 1 or more into (0, 1]', () => {
    expect(scaleKeepProb(0.5, 2)).toBeCloseTo(MIN_SCALED_KEEP_PROB, 12);
    expect(scaleKeepProb(0.5, 10)).toBeCloseTo(MIN_SCALED_KEEP_PROB, 12);
    expect(scaleKeepProb(0.5, 10)).toBeGreaterThan(0);
  });

  it('rejects a negative or non-finite factor and a bad keepProb', () => {
    expect(() => scaleKeepProb(0.9, -1)).toThrow(/factor must be a number >= 0 \(a drop-rate multiplier\), got -1/);
    expect(() => scaleKeepProb(0.9, Number.POSITIVE_INFINITY)).toThrow(/factor must be a finite number/);
    expect(() => scaleKeepProb(0, 1)).toThrow(/keepProb/);
  });
});

describe('resolveScaleFactors', () => {
  // Only `name` is read when resolving factors by name or passing layers to a function.
  const fake = (name: string) => ({ name }) as unknown as DropBlockLayer;
  const found = [fake('g3_a'), fake('g3_b'), fake('g4_a')];

  it('gives factor 1 to every layer without a scale', () => {
    expect(resolveScaleFactors(found, undefined)).toEqual([1, 1, 1]);
  });

  it('calls a function with each layer and its index', () => {
    expect(resolveScaleFactors(found, (l, i) => (l.name.startsWith('g3') ? 0.25 : 1) + i)).toEqual([0.25, 1.25, 3]);
  });

  it('looks names up in a Map or a plain object, default 1', () => {
    expect(resolveScaleFactors(found, new Map([['g3_b', 0.5]]))).toEqual([1, 0.5, 1]);
    expect(resolveScaleFactors(found, { g3_a: 0.25, g3_b: 0.25 })).toEqual([0.25, 0.25, 1]);
  });

  it('rejects a name that matches no layer, and bad factors, naming scale', () => {
    expect(() => resolveScaleFactors(found, { g5: 2 })).toThrow(/scale names 'g5'.*found: 'g3_a', 'g3_b', 'g4_a'/);
    expect(() => resolveScaleFactors(found, { g3_a: -1 })).toThrow(/scale\['g3_a'\] must be a number >= 0/);
    expect(() => resolveScaleFactors(found, () => Number.NaN)).toThrow(/scale\(layer 'g3_a', 0\) must be a finite/);
  });
});
