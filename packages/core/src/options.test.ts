import { describe, expect, it } from 'vitest';
import { assertKnownOptions, nearestName, optionKeys, optionNameDistance } from './options.js';

describe('optionNameDistance', () => {
  it('treats snake_case, kebab-case and camelCase spellings of one name as equal', () => {
    expect(optionNameDistance('keep_prob', 'keepProb')).toBe(0);
    expect(optionNameDistance('block-size', 'blockSize')).toBe(0);
    expect(optionNameDistance('BLOCK_SIZE', 'blockSize')).toBe(0);
  });
  it('counts insertions, deletions, substitutions and adjacent swaps (optimal string alignment)', () => {
    expect(optionNameDistance('blokSize', 'blockSize')).toBe(1);
    expect(optionNameDistance('kepeProb', 'keepProb')).toBe(1); // swap
    expect(optionNameDistance('sead', 'seed')).toBe(1);
    expect(optionNameDistance('epoch', 'epochs')).toBe(1);
    expect(optionNameDistance('lr', 'seed')).toBe(4);
    expect(optionNameDistance('', 'abc')).toBe(3);
  });
});

describe('nearestName', () => {
  const names = ['blockSize', 'keepProb', 'seed', 'dataFormat', 'sharedChannels', 'batchwise'];
  it('finds the valid name a misspelling means', () => {
    expect(nearestName('keep_prob', names)).toBe('keepProb');
    expect(nearestName('block_size', names)).toBe('blockSize');
    expect(nearestName('data_format', names)).toBe('dataFormat');
    expect(nearestName('sharedChanels', names)).toBe('sharedChannels');
    expect(nearestName('seeds', names)).toBe('seed');
    expect(nearestName('boundary', ['boundaries', 'values'])).toBe('boundaries');
  });
  it('suggests nothing when no name is close', () => {
    expect(nearestName('learningRate', names)).toBeUndefined();
    expect(nearestName('x', names)).toBeUndefined();
    expect(nearestName('rate', [])).toBeUndefined();
  });
});

describe('assertKnownOptions', () => {
  const known = ['blockSize', 'keepProb', 'seed'] as const;
  it('accepts known keys, absent keys and non-objects (other checks report those)', () => {
    expect(() => assertKnownOptions({ blockSize: 7, keepProb: 0.9 }, known, 'dropBlock2d options')).not.toThrow();
    expect(() => assertKnownOptions({}, known, 'x')).not.toThrow();
    expect(() => assertKnownOptions(undefined, known, 'x')).not.toThrow();
    expect(() => assertKnownOptions(null, known, 'x')).not.toThrow();
  });
  it('names the unknown key and the nearest valid one', () => {
    expect(() => assertKnownOptions({ blockSize: 7, keep_prob: 0.5 }, known, 'dropBlock2D args')).toThrow(
      new TypeError("dropBlock2D args: unknown option 'keep_prob' (did you mean 'keepProb'?); valid options: blockSize, keepProb, seed"),
    );
  });
  it('lists every unknown key, with or without a suggestion', () => {
    expect(() => assertKnownOptions({ block_size: 7, colour: 'red', seed: 1 }, known, 'opts')).toThrow(
      "opts: unknown options 'block_size' (did you mean 'blockSize'?), 'colour'; valid options: blockSize, keepProb, seed",
    );
  });
  it('rejects an unknown key even when its value is undefined (a typo stays a typo)', () => {
    expect(() => assertKnownOptions({ kepProb: undefined }, known, 'opts')).toThrow(/unknown option 'kepProb' \(did you mean 'keepProb'\?\)/);
  });
});

describe('optionKeys', () => {
  interface Opts {
    blockSize: number;
    keepProb?: number;
  }
  it('returns the listed keys, and the compiler insists on all of them and only them', () => {
    expect(optionKeys<Opts>()(['blockSize', 'keepProb'])).toEqual(['blockSize', 'keepProb']);
    // @ts-expect-error keepProb is missing from the list
    optionKeys<Opts>()(['blockSize']);
    // @ts-expect-error seed is not an option of Opts
    optionKeys<Opts>()(['blockSize', 'keepProb', 'seed']);
  });
});
