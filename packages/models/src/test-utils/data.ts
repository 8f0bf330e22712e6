import * as tf from '@tensorflow/tfjs';

/**
 * A fixed tiny batch: `n` seeded uniform images and one-hot labels 0, 1, ..., n-1 (mod numClasses), so a network
 * that learns anything lowers its loss on it within a few steps.
 */
export function tinyBatch(
  n: number,
  inputShape: readonly [number, number, number],
  numClasses: number,
  seed = 7,
): { x: tf.Tensor4D; y: tf.Tensor2D } {
  return tf.tidy(() => {
    const x = tf.randomUniform([n, ...inputShape], 0, 1, 'float32', seed) as tf.Tensor4D;
    const labels = tf.tensor1d(
      Array.from({ length: n }, (_, i) => i % numClasses),
      'int32',
    );
    const y = tf.oneHot(labels, numClasses).toFloat() as tf.Tensor2D;
    return { x, y };
  });
}

/** Runs `steps` training steps with Adam on the fixed batch and returns the loss of each step. */
export async function trainSteps(
  model: tf.LayersModel,
  batch: { x: tf.Tensor; y: tf.Tensor },
  steps: number,
  learningRate = 1e-3,
): Promise<number[]> {
  model.compile({ optimizer: tf.train.adam(learningRate), loss: 'categoricalCrossentropy' });
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const loss = await model.trainOnBatch(batch.x, batch.y);
    losses.push(Array.isArray(loss) ? loss[0] : loss);
  }
  return losses;
}

/** All weights of `model` as flat arrays, by weight name. */
export function weightValues(model: tf.LayersModel): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const w of model.weights) out.set(w.originalName, w.read().dataSync() as Float32Array);
  return out;
}

/**
 * The loss of `trained`'s current weights on the batch with the regulariser switched off: the weights are copied into
 * `plain`, the same network built without regulariser (the regularisers carry no weights, so the weight lists line
 * up), and evaluated in training mode (BatchNorm on batch statistics, as during the steps). Unlike the loss `fit`
 * reports, it has no mask noise, so "training lowered the loss" can be read off one comparison even under
 * SpatialDropout(0.7), whose per-step loss swings by a factor of two on a tiny batch.
 */
export function unregularizedLoss(
  trained: tf.LayersModel,
  plain: tf.LayersModel,
  batch: { x: tf.Tensor; y: tf.Tensor },
): number {
  plain.setWeights(trained.getWeights());
  return tf.tidy(() => {
    const p = plain.apply(batch.x, { training: true }) as tf.Tensor;
    return tf.metrics.categoricalCrossentropy(batch.y, p).mean().dataSync()[0];
  });
}

/**
 * Checks that `model` trains: `steps` Adam steps on the fixed batch give finite losses, change the weights, and lower
 * the regulariser-free loss ({@link unregularizedLoss}). Returns the losses before and after and the step losses.
 */
export async function trainAndMeasure(
  model: tf.LayersModel,
  plain: tf.LayersModel,
  batch: { x: tf.Tensor; y: tf.Tensor },
  steps: number,
  learningRate = 1e-3,
): Promise<{ before: number; after: number; stepLosses: number[]; weightsChanged: boolean }> {
  const before = unregularizedLoss(model, plain, batch);
  const probe = model.trainableWeights[0].read().dataSync().slice();
  const stepLosses = await trainSteps(model, batch, steps, learningRate);
  const after = unregularizedLoss(model, plain, batch);
  const now = model.trainableWeights[0].read().dataSync();
  const weightsChanged = now.some((v, i) => v !== probe[i]);
  return { before, after, stepLosses, weightsChanged };
}

/** Bitwise equality of two float arrays (vitest's deep equality walks typed arrays element by element, slowly). */
export function sameValues(a: Float32Array, b: Float32Array): boolean {
  const bytes = (v: Float32Array) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return a.length === b.length && bytes(a).equals(bytes(b));
}
