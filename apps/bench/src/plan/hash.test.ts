import { describe, expect, it } from 'vitest';
import { canonicalJson, configHash } from './hash.js';

describe('config hashing', () => {
  it('ignores key order at every level and undefined members', () => {
    const a = { table: 1, settings: { epochs: 3, batchSize: 64, network: { stem: 'imagenet' } }, row: 'none', extra: undefined };
    const b = { row: 'none', settings: { network: { stem: 'imagenet' }, batchSize: 64, epochs: 3 }, table: 1 };
    expect(canonicalJson(a)).toBe('{"row":"none","settings":{"batchSize":64,"epochs":3,"network":{"stem":"imagenet"}},"table":1}');
    expect(configHash(a)).toBe(configHash(b));
    expect(configHash(a)).toMatch(/^[0-9a-f]{16}$/);
  });

  it('changes with any value, including array order and the seed', () => {
    const base = { seed: 1, inputShape: [32, 32, 3], settings: { learningRate: 0.001 } };
    const hashes = new Set([
      configHash(base),
      configHash({ ...base, seed: 2 }),
      configHash({ ...base, inputShape: [32, 3, 32] }),
      configHash({ ...base, settings: { learningRate: 0.0001 } }),
    ]);
    expect(hashes.size).toBe(4);
  });

  it('refuses non-finite numbers, which JSON cannot keep', () => {
    expect(() => configHash({ lr: NaN })).toThrow('cannot hash the non-finite number NaN');
  });
});
