// A consumer's plain ESM script, run against the packed tarballs installed with npm outside the workspace.
// Each package is imported by its published name and used once; the script prints one JSON line of results.
import * as tf from '@tensorflow/tfjs';
import { computeGamma, expectedDropFraction } from '@db/core';
import { dropBlock2d, dropBlock2D } from '@db/tfjs-layer';
import { DropBlockScheduler, linearSchedule } from '@db/schedule';
import { useFastestBackend } from '@db/backend';
import { customNet, regularizer } from '@db/models';
import { encodeCifarBatch, parseCifarBatch } from '@db/datasets';
import * as detection from '@db/detection';

const choice = await useFastestBackend({ log: () => {}, wasmThreads: 1 });

const gamma = computeGamma({ keepProb: 0.9, blockSize: 3, height: 11, width: 11 });
const expected = expectedDropFraction({ keepProb: 0.9, blockSize: 3, height: 11, width: 11 });

// The op on a ones map: kept units carry the rescale, dropped ones are zero.
const dropped = tf.tidy(() => {
  const y = dropBlock2d(tf.ones([4, 11, 11, 8]), { keepProb: 0.9, blockSize: 3, training: true, seed: 1 });
  return y.equal(0).mean().dataSync()[0];
});

// A regularised network trains one epoch with the scheduler lowering keepProb.
const model = customNet({ inputShape: [8, 8, 1], numClasses: 2, regularizer: regularizer.dropBlock(3, 0.9) });
model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
const xs = tf.randomNormal([8, 8, 8, 1], 0, 1, 'float32', 1);
const ys = tf.oneHot(tf.tensor1d([0, 1, 0, 1, 0, 1, 0, 1], 'int32'), 2);
const history = await model.fit(xs, ys, {
  epochs: 1,
  batchSize: 4,
  verbose: 0,
  callbacks: [new DropBlockScheduler({ schedule: linearSchedule({ target: 0.9 }) })],
});

// A sequential model with the layer, as the README shows.
const seq = tf.sequential({ layers: [tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 2, kernelSize: 3, padding: 'same' }), dropBlock2D({ blockSize: 3, keepProb: 0.9 })] });

// The CIFAR binary format round-trips.
const batch = parseCifarBatch(encodeCifarBatch(new Uint8Array(2 * 3072).fill(7), new Uint8Array([3, 8])), 'consumer.bin');

console.log(
  JSON.stringify({
    backend: choice.backendName,
    gamma,
    expected,
    dropped,
    loss: history.history.loss[0],
    seqOutput: seq.outputs[0].shape,
    cifarLabels: Array.from(batch.labels),
    detectionExports: Object.keys(detection).length,
  }),
);
