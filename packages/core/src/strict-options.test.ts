/**
 * Every public function of @db/core that takes an options object rejects a key it does not know, naming the
 * nearest valid one (issue 20, item 9): a misspelt option used to be ignored silently.
 */
import { describe, expect, it } from 'vitest';
import {
  computeGamma,
  computeGamma3d,
  expectedDropFraction,
  expectedDropFraction3d,
  sampleDropBlockMask,
  sampleDropBlockMask3d,
  validateParams2d,
  validateParams3d,
} from './index.js';

const P2 = { keepProb: 0.9, blockSize: 3, height: 8, width: 8 };
const P3 = { ...P2, depth: 4 };
const M = { batch: 1, channels: 2, keepProb: 0.9, blockSize: 3, seed: 1 };

describe('options objects of @db/core reject unknown keys', () => {
  const cases: [string, () => unknown, RegExp][] = [
    ['computeGamma', () => computeGamma({ ...P2, block_size: 3 } as never), /unknown option 'block_size' \(did you mean 'blockSize'\?\)/],
    ['computeGamma3d', () => computeGamma3d({ ...P3, dept: 4 } as never), /unknown option 'dept' \(did you mean 'depth'\?\)/],
    ['expectedDropFraction', () => expectedDropFraction({ ...P2, keep_prob: 0.5 } as never), /'keep_prob' \(did you mean 'keepProb'\?\)/],
    ['expectedDropFraction3d', () => expectedDropFraction3d({ ...P3, hieght: 8 } as never), /'hieght' \(did you mean 'height'\?\)/],
    ['validateParams2d', () => validateParams2d({ ...P2, depth: 4 } as never), /unknown option 'depth'/],
    ['validateParams3d', () => validateParams3d({ ...P3, widht: 8 } as never), /'widht' \(did you mean 'width'\?\)/],
    ['sampleDropBlockMask', () => sampleDropBlockMask({ ...M, height: 8, width: 8, shared_channels: true } as never), /'shared_channels' \(did you mean 'sharedChannels'\?\)/],
    ['sampleDropBlockMask3d', () => sampleDropBlockMask3d({ ...M, depth: 2, height: 8, width: 8, batchWise: true } as never), /'batchWise' \(did you mean 'batchwise'\?\)/],
  ];
  for (const [name, call, message] of cases) {
    it(name, () => {
      expect(call).toThrow(TypeError);
      expect(call).toThrow(message);
    });
  }

  it('still accepts every documented key', () => {
    expect(computeGamma(P2)).toBeGreaterThan(0);
    expect(computeGamma3d(P3)).toBeGreaterThan(0);
    expect(sampleDropBlockMask({ ...M, height: 8, width: 8, sharedChannels: true, batchwise: false, dataFormat: 'channelsFirst' }).shape).toEqual([1, 2, 8, 8]);
    expect(sampleDropBlockMask3d({ ...M, depth: 2, height: 8, width: 8 }).shape).toEqual([1, 2, 8, 8, 2]);
  });
});
