import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { sigmoidFocalLoss } from './focal.js';
import { retinaNetLoss, smoothL1 } from './retinanet-loss.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const LN2 = Math.log(2);
// logit 2, target 0: p = sigmoid(2) = 0.880797, -log(1 - p) = 2 + log(1 + e^-2) = 2.126928.
const FOCAL_2_NEG = 0.75 * 0.880797 ** 2 * 2.126928;

describe('sigmoidFocalLoss', () => {
  it('matches hand values: alpha_t (1 - p_t)^2 (-log p_t), summed over classes', () => {
    const loss = sigmoidFocalLoss(tf.tensor2d([[1, 0, 0]]), tf.tensor2d([[0, 0, 2]]));
    // target 1 at p 0.5: 0.25 * 0.25 * ln 2; target 0 at p 0.5: 0.75 * 0.25 * ln 2; target 0 at logit 2: 1.237559.
    expect(loss.shape).toEqual([1]);
    expect(loss.dataSync()[0]).toBeCloseTo(0.0625 * LN2 + 0.1875 * LN2 + FOCAL_2_NEG, 5);
    expect(FOCAL_2_NEG).toBeCloseTo(1.237559, 5);
  });

  it('is stable for large logits', () => {
    const v = sigmoidFocalLoss(tf.tensor2d([[1, 0]]), tf.tensor2d([[-80, -80]])).dataSync()[0];
    // target 1 at logit -80: 0.25 * 1 * 80; target 0: ~0.
    expect(v).toBeCloseTo(20, 4);
  });
});

describe('smoothL1', () => {
  it('is 0.5 d^2 below 1 and |d| - 0.5 above, summed over the 4 coordinates', () => {
    const v = smoothL1(tf.tensor2d([[0, 0, 0, 0]]), tf.tensor2d([[0.5, -2, 1, 0]])).dataSync()[0];
    expect(v).toBeCloseTo(0.125 + 1.5 + 0.5 + 0, 6);
  });
});

describe('retinaNetLoss', () => {
  it('normalises by max(1, positives) per image, skips ignored anchors, teaches background on an image without positives', () => {
    // 2 images, 3 anchors, 1 class: predictions [dx, dy, dw, dh, logit].
    const pred = tf.tensor3d([
      [
        [1, 0, 0, 0, 0], // positive (class 0), box error 0.5, focal 0.25 * 0.25 * ln2
        [0, 0, 0, 0, 2], // background, focal 1.237559
        [9, 9, 9, 9, 9], // ignored: contributes nothing
      ],
      [
        [0, 0, 0, 0, 0], // background, focal 0.75 * 0.25 * ln2
        [0, 0, 0, 0, 0],
        [0, 0, 0, 0, 0],
      ],
    ]);
    const boxTargets = tf.zeros([2, 3, 4]) as tf.Tensor3D;
    const classTargets = tf.tensor2d([
      [0, -1, -2],
      [-1, -1, -1],
    ]);
    const parts = retinaNetLoss(pred as tf.Tensor3D, boxTargets, classTargets);
    const cls0 = 0.0625 * LN2 + FOCAL_2_NEG; // 1 positive
    const cls1 = 3 * 0.1875 * LN2; // no positive: divided by max(1, 0) = 1, not dropped
    expect(parts.classification.dataSync()[0]).toBeCloseTo((cls0 + cls1) / 2, 5);
    expect(parts.box.dataSync()[0]).toBeCloseTo(0.5 / 2, 6);
    expect(parts.total.dataSync()[0]).toBeCloseTo((cls0 + cls1 + 0.5) / 2, 5);
  });

  it('has gradients reaching the predictions (no tf.where on the predictions)', () => {
    const pred = tf.tensor3d([[[0.5, 0, 0, 0, 0.3], [0, 0, 0, 0, -1]]]);
    const g = tf.grad((p: tf.Tensor) => retinaNetLoss(p as tf.Tensor3D, tf.zeros([1, 2, 4]) as tf.Tensor3D, tf.tensor2d([[0, -1]])).total)(pred);
    const v = g.arraySync() as number[][][];
    expect(v[0][0][0]).toBeCloseTo(0.5, 6); // d(0.5 d^2)/dd
    expect(v[0][0][4]).toBeLessThan(0); // raise the positive logit
    expect(v[0][1][4]).toBeGreaterThan(0); // lower the background logit
    expect(v[0][1][0]).toBe(0); // no box loss on background
  });

  it('rejects mismatched targets', () => {
    expect(() => retinaNetLoss(tf.zeros([1, 2, 5]) as tf.Tensor3D, tf.zeros([1, 3, 4]) as tf.Tensor3D, tf.zeros([1, 2]) as tf.Tensor2D)).toThrow(
      /boxTargets must be \[1, 2, 4\], got \[1, 3, 4\]/,
    );
  });
});
