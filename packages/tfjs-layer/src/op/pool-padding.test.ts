import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { sampleDropBlockMask, sampleDropBlockMask3d } from '@db/core';
import { dropBlockImpl } from './drop-block.js';
import { resolveOptions, type DropBlockOpOptions } from './validate.js';
import { keptPattern, rescaleOf } from '../test-utils/helpers.js';

// The block expansion has two padding strategies: explicit pool padding (cpu, wasm, webgl) and a seed map with a
// built-in border for 'valid' pooling (the tensorflow backend, whose MaxPool rejects explicit padding). tfjs-node
// is not installed here, so both strategies are forced on the cpu backend and checked against the reference.
beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

describe('block expansion padding strategies', () => {
  it.each(['explicit', 'border'] as const)('%s padding reproduces the reference masks (2D and 3D)', (padding) => {
    const cases2d: DropBlockOpOptions[] = [
      { keepProb: 0.7, blockSize: 3, seed: 5 },
      { keepProb: 0.7, blockSize: 6, seed: 6, dataFormat: 'channelsFirst' },
      { keepProb: 0.8, blockSize: 20, seed: 7, sharedChannels: true },
    ];
    for (const c of cases2d) {
      const [N, C, H, W] = [2, 3, 11, 9];
      const shape: [number, number, number, number] = c.dataFormat === 'channelsFirst' ? [N, C, H, W] : [N, H, W, C];
      const got = tf.tidy(() => {
        const x = tf.ones(shape) as tf.Tensor4D;
        return dropBlockImpl(x, resolveOptions('test', x, 4, c), false, padding).dataSync();
      });
      const ref = sampleDropBlockMask({ batch: N, channels: C, height: H, width: W, ...c, keepProb: c.keepProb });
      expect(Array.from(keptPattern(got))).toEqual(Array.from(ref.data));
      const scale = rescaleOf(ref.data);
      expect(got.every((v) => v === 0 || Math.abs(v - scale) < 1e-5 * scale)).toBe(true);
    }
    const o3: DropBlockOpOptions = { keepProb: 0.7, blockSize: 3, seed: 8 };
    const got3 = tf.tidy(() => {
      const x = tf.ones([2, 5, 6, 7, 2]) as tf.Tensor5D;
      return dropBlockImpl(x, resolveOptions('test', x, 5, o3), true, padding).dataSync();
    });
    const ref3 = sampleDropBlockMask3d({ batch: 2, channels: 2, depth: 5, height: 6, width: 7, ...o3, keepProb: 0.7 });
    expect(Array.from(keptPattern(got3))).toEqual(Array.from(ref3.data));
  });
});
