/**
 * Every net of the project (small versions, test-utils/nets.ts) runs a training step on wasm with no missing kernel,
 * and repeated steps leave tf.memory().numTensors unchanged.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { setupBackends } from './test-utils/backends.js';
import { TEST_NETS } from './test-utils/nets.js';

describe('training on wasm with the training kernels', () => {
  beforeAll(async () => {
    await setupBackends();
    await tf.setBackend('wasm');
  });

  for (const [net, build] of Object.entries(TEST_NETS)) {
    it(`${net}: trains without a missing kernel, loss finite, no tensor leak across steps`, async () => {
      const target = build(2);
      const first = await target.step();
      expect(Number.isFinite(first)).toBe(true);
      await target.step();
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) expect(Number.isFinite(await target.step())).toBe(true);
      expect(tf.memory().numTensors).toBe(before);
      target.dispose();
    });
  }
});
