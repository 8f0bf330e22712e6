/**
 * Batch normalisation whose training-mode forward pass keeps no full-size intermediates for the backward pass.
 *
 * tfjs-layers' BatchNormalization trains through `tf.moments` then `tf.batchNorm`
 * (tfjs-layers/src/layers/normalization.ts, regularNormalizeBatchInTraining). Every op of that chain is taped, so
 * until the whole backward pass ends the engine holds `x - mean` (saved by Square's gradient), its square and the
 * normalised output besides `x`: three extra full-size copies of every normalised activation. In RetinaNet at
 * 256 px that was ~0.5 GB of a ~2 GB training step, enough to put a batch of two past the wasm backend's 4 GB heap.
 *
 * Here the whole normalisation is one `tf.customGrad` op that saves only `x` (already alive as the conv's output),
 * the per-channel mean and 1 / sqrt(var + eps), and gamma. Its gradient is the closed form of batch normalisation's
 * backward pass (Ioffe & Szegedy 2015, sec. 3, the chain rule through mu_B and sigma_B^2): with
 * x^ = (x - mean) * r, r = 1 / sqrt(var + eps), N the elements per channel and sums over all but the channel axis,
 *   dBeta  = sum(dy)
 *   dGamma = sum(dy * x^)
 *   dx     = gamma * r * (dy - dBeta / N - x^ * dGamma / N)
 * computed inside `tf.tidy`, so its temporaries are freed as soon as dx exists (a customGrad gradient's own
 * intermediates would otherwise live until the backward pass ends).
 *
 * The forward values are those of tfjs-layers (the same `tf.moments` and `tf.batchNorm` kernels), and the moving
 * mean / variance are updated exactly as tfjs-layers does (momentum, biased variance). Inference, channels-first
 * inputs and a layer without center or scale fall back to tfjs-layers' own code. The layer keeps the class name
 * `BatchNormalization` and the same config and weights, so a saved model reloads as tfjs-layers' layer, which
 * computes the same function: the difference is only the memory of a training step.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { assertKnownOptions } from '@db/core';
import { BATCH_NORMALIZATION_ARG_KEYS } from '../option-keys.js';

type LayerArgs = Parameters<typeof tfl.layers.batchNormalization>[0];
type StockBatchNormalization = ReturnType<typeof tfl.layers.batchNormalization>;
type Kwargs = Parameters<StockBatchNormalization['call']>[1];

/** The fields of tfjs-layers' BatchNormalization that its typings mark private and this layer reads. */
interface BatchNormState {
  axis: number;
  momentum: number;
  epsilon: number;
  gamma: tfl.LayerVariable | null;
  beta: tfl.LayerVariable | null;
  movingMean: tfl.LayerVariable;
  movingVariance: tfl.LayerVariable;
}

// tfjs-layers exports a factory, not the class: take the class from an instance so that this layer is a true
// subclass (build, weights, getConfig and serialisation all stay upstream's).
const StockBatchNormalizationClass = Object.getPrototypeOf(tfl.layers.batchNormalization({})).constructor as new (
  args?: LayerArgs,
) => StockBatchNormalization;

/**
 * Normalises `x` over every axis but the last with its own batch statistics, as one differentiable op that keeps
 * only `x` and per-channel vectors for the gradient. Returns the output and the batch mean and (biased) variance;
 * the caller owns all three.
 */
export function batchNormTraining(
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
): { y: tf.Tensor; mean: tf.Tensor1D; variance: tf.Tensor1D } {
  const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
  const channels = x.shape[x.rank - 1];
  const perChannel = x.size / channels;
  let stats: { mean: tf.Tensor1D; variance: tf.Tensor1D } | undefined;
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xIn, g, b, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const { mean, variance } = tf.moments(xIn, axes) as { mean: tf.Tensor1D; variance: tf.Tensor1D };
    const y = tf.batchNorm(xIn, mean, variance, b as tf.Tensor1D, g as tf.Tensor1D, epsilon);
    const rstd = tf.rsqrt(tf.add(variance, epsilon));
    save([xIn, mean, rstd, g]);
    // customGrad runs this in a tidy that keeps only `value`: keep the statistics for the moving averages.
    stats = { mean: tf.keep(mean), variance: tf.keep(variance) };
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const [xs, mu, r, gs] = saved;
          const xHat = tf.mul(tf.sub(xs, mu), r);
          const dBeta = tf.sum(dy, axes);
          const dGamma = tf.sum(tf.mul(dy, xHat), axes);
          const centred = tf.sub(tf.sub(dy, tf.div(dBeta, perChannel)), tf.mul(xHat, tf.div(dGamma, perChannel)));
          const dx = tf.mul(centred, tf.mul(gs, r));
          return [dx, dGamma, dBeta];
        }),
    };
  });
  const y = op(x, gamma, beta);
  const { mean, variance } = stats as { mean: tf.Tensor1D; variance: tf.Tensor1D };
  return { y, mean, variance };
}

/**
 * tfjs-layers' BatchNormalization with a training-mode forward pass that uses {@link batchNormTraining}. Same
 * arguments as `tf.layers.batchNormalization`.
 */
export class BatchNormalization extends StockBatchNormalizationClass {
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    const state = this as unknown as BatchNormState;
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const training = Boolean(kwargs?.training);
    const lastAxis = state.axis === -1 || state.axis === x.rank - 1;
    if (!training || !lastAxis || state.gamma == null || state.beta == null || (Array.isArray(inputs) && inputs.length !== 1)) {
      return super.call(inputs, kwargs);
    }
    const { gamma, beta } = state;
    return tf.tidy(() => {
      const { y, mean, variance } = batchNormTraining(x, gamma.read() as tf.Tensor1D, beta.read() as tf.Tensor1D, state.epsilon);
      // tfjs-layers' moving-average update (normalization.ts, doMovingAverage): v -= (v - batch) * (1 - momentum).
      for (const [variable, batch] of [
        [state.movingMean, mean],
        [state.movingVariance, variance],
      ] as const) {
        tf.tidy(() => {
          const current = variable.read();
          variable.write(tf.sub(current, tf.mul(tf.sub(current, batch), 1 - state.momentum)));
        });
      }
      tf.dispose([mean, variance]);
      return y;
    });
  }
}

/** `tf.layers.batchNormalization` with {@link BatchNormalization}'s lean training step. */
export function batchNormalization(args?: LayerArgs): BatchNormalization {
  assertKnownOptions(args, BATCH_NORMALIZATION_ARG_KEYS, 'batchNormalization args');
  return new BatchNormalization(args);
}
