import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { SpatialDropout2D, spatialDropout2D } from '../index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

describe('SpatialDropout2D', () => {
  it('drops whole feature maps with probability rate and scales kept ones by 1 / (1 - rate)', () => {
    const rate = 0.3;
    const [N, H, W, C] = [200, 4, 5, 10];
    const layer = spatialDropout2D({ rate, seed: 3 });
    const d = tf.tidy(() => (layer.apply(tf.ones([N, H, W, C]), { training: true }) as tf.Tensor).dataSync());
    let droppedMaps = 0;
    let bad = 0;
    for (let n = 0; n < N; n++)
      for (let c = 0; c < C; c++) {
        const first = d[(n * H * W) * C + c];
        if (first === 0) droppedMaps++;
        else if (Math.abs(first - 1 / (1 - rate)) > 1e-6) bad++;
        for (let s = 0; s < H * W; s++) if (d[(n * H * W + s) * C + c] !== first) bad++;
      }
    expect(bad).toBe(0);
    const maps = N * C;
    expect(Math.abs(droppedMaps / maps - rate)).toBeLessThan(4 * Math.sqrt((rate * (1 - rate)) / maps));
  });

  it('supports channelsFirst, passes through at inference and at rate 0', () => {
    const layer = new SpatialDropout2D({ rate: 0.5, seed: 1, dataFormat: 'channelsFirst' });
    const x = tf.ones([4, 6, 3, 3]);
    const same = (t: unknown) => Array.from((t as tf.Tensor).dataSync()).every((v) => v === 1);
    expect(same(layer.apply(x))).toBe(true);
    const d = tf.tidy(() => (layer.apply(x, { training: true }) as tf.Tensor).dataSync());
    for (let p = 0; p < 24; p++) {
      const plane = Array.from(d.subarray(p * 9, p * 9 + 9));
      expect(new Set(plane).size).toBe(1);
    }
    expect(same(spatialDropout2D({ rate: 0 }).apply(x, { training: true }))).toBe(true);
    x.dispose();
  });

  it('serialises, is registered, and validates rate', () => {
    const layer = spatialDropout2D({ rate: 0.2, seed: 4, name: 'sd' });
    expect(layer.getConfig()).toMatchObject({ rate: 0.2, seed: 4, dataFormat: 'channelsLast', name: 'sd' });
    expect(tf.serialization.SerializationMap.getMap().classNameMap['SpatialDropout2D']).toBeDefined();
    expect(() => spatialDropout2D({ rate: 1 })).toThrow(/rate/);
    expect(() => spatialDropout2D({ rate: -0.1 })).toThrow(/rate/);
  });
});
