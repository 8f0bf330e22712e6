import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels } from '@db/backend';
import { regularizer } from '@db/models';
import { DropBlockScheduler, linearSchedule } from '@db/schedule';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeLabels } from '../encode/encode.js';
import { buildRetinaNet } from '../model/retinanet.js';
import { kerasIoLearningRate, piecewiseConstant } from './learning-rate.js';
import { trainStep } from './train.js';

beforeAll(async () => {
  registerWasmTrainingKernels();
  await tf.setBackend('wasm');
  await tf.ready();
  expect(tf.getBackend()).toBe('wasm');
});

describe('trainStep on wasm', () => {
  it('runs with no missing kernel, lowers the loss over a few steps on a fixed batch, and leaks no tensor', async () => {
    // A shallow ResNet ([1, 1, 1, 1] blocks) at 128 px with 2 classes and DropBlock, so the step takes seconds.
    const net = buildRetinaNet({ inputSize: 128, numClasses: 2, stageBlocks: [1, 1, 1, 1], regularizer: regularizer.dropBlock(3, 0.9), seed: 3 });
    const scheduler = new DropBlockScheduler({ schedule: linearSchedule({ target: 0.9 }) });
    expect(scheduler.attach(net.model).length).toBe(8);
    const boxes = new Float32Array([10, 10, 60, 70, 64, 32, 120, 96]);
    const targets = [0, 1].map((b) => encodeLabels(net.anchors, boxes.subarray(4 * b, 4 * b + 4), [b]));
    const n = net.anchorCount;
    const boxTargets = tf.tensor3d(Float32Array.from([...targets[0].boxTargets, ...targets[1].boxTargets]), [2, n, 4]);
    const classTargets = tf.tensor2d(Float32Array.from([...targets[0].classTargets, ...targets[1].classTargets]), [2, n]);
    const input = tf.randomUniform([2, 128, 128, 3], -100, 100, 'float32', 7) as tf.Tensor4D;
    // A larger rate than keras-io's so that four steps move the loss clearly (the head convs start at N(0, 0.01)).
    const optimizer = tf.train.momentum(0.03, 0.9);
    const losses: number[] = [];
    let tensorsAfterFirst = 0;
    for (let step = 0; step < 4; step++) {
      scheduler.update(step / 3);
      const r = await trainStep(net, optimizer, input, boxTargets, classTargets);
      expect(r.loss).toBeCloseTo(r.classification + r.box, 4);
      losses.push(r.loss);
      // The first step creates the optimizer's momentum slots; afterwards the count must stay put.
      if (step === 1) tensorsAfterFirst = tf.memory().numTensors;
      if (step > 1) expect(tf.memory().numTensors).toBe(tensorsAfterFirst);
    }
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[3], `losses ${losses.join(', ')}`).toBeLessThan(losses[0] * 0.95);
    expect(scheduler.currentKeepProb).toBeCloseTo(0.9, 9);
    tf.dispose([boxTargets, classTargets, input]);
    optimizer.dispose();
    net.dispose();
    // Four steps of a 128 px detector take ~1 min on two idle cores; a shared machine can take several times that.
  }, 600_000);
});

describe('learning rate', () => {
  it("follows keras-io's PiecewiseConstantDecay: 2.5e-6 up to step 125, 6.25e-4 to 250, 1.25e-3 to 500, then 2.5e-3", () => {
    const lr = kerasIoLearningRate();
    expect([0, 125, 126, 250, 251, 500, 501, 240_000, 240_001, 360_001].map(lr)).toEqual([
      2.5e-6, 2.5e-6, 0.000625, 0.000625, 0.00125, 0.00125, 0.0025, 0.0025, 0.00025, 2.5e-5,
    ]);
    expect(kerasIoLearningRate(0.02)(6)).toBe(0.00125);
    expect(() => piecewiseConstant([2, 1], [1, 2, 3])).toThrow(/boundaries must increase/);
  });
});
