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
 * The forward values are those of tfjs-layers (the same `tf.moments` and `tf.batchNorm` kernels). The moving mean
 * is updated as tfjs-layers does (v <- m * v + (1 - m) * batch, m the momentum). The moving variance by default is
 * updated as Keras 2 / tf.keras do, with the *unbiased* batch variance: v <- m * v + (1 - m) * var_B * n / (n - 1),
 * n the elements per channel in the batch (batch x positions). tf.keras' default path is the fused kernel
 * (`tf.compat.v1.nn.fused_batch_norm`), whose training-mode batch variance output carries Bessel's correction, and
 * the report ran Keras 2 (PyTorch's running_var is unbiased too). tfjs-layers (normalization.ts, doMovingAverage)
 * moves towards the biased variance; `movingVarianceCorrection: 'biased'` gives exactly that. With n = 1 the factor is 1 (as TensorFlow's fused kernel guards it), not infinite.
 *
 * Inference falls back to tfjs-layers' own code; training with channels-first inputs or a layer without center or
 * scale uses tfjs-layers' computation (tf.moments, tf.batchNorm) without the lean gradient. The layer keeps the
 * class name `BatchNormalization` and the same weights, so a saved model reloads as tfjs-layers' layer, which
 * computes the same inference function: the difference is only the memory of a training step and, when it trains
 * after reloading, tfjs-layers' biased moving variance.
 *
 * Serialisation of `movingVarianceCorrection`: tfjs-layers' `Layer` constructor (and so `fromConfig`, which is
 * `new cls(config)`) ignores keys it does not know, whereas Keras 2's `Layer.__init__` rejects unknown keyword
 * arguments ("Keyword argument not understood"). So `getConfig` writes the key only when it is 'biased': a default
 * (Keras-like, unbiased) layer's config is exactly tfjs-layers' (loads in tfjs-layers and, converted, in Keras 2,
 * which updates unbiased as this layer did), and a 'biased' layer's config loads in tfjs-layers (key ignored; the
 * stock layer is biased too) and back into this class with the key honoured. A config without the key means
 * 'unbiased' to this class.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

type StockLayerArgs = NonNullable<Parameters<typeof tfl.layers.batchNormalization>[0]>;

/** How the moving variance is updated from a training batch's variance (see the file comment). */
export type MovingVarianceCorrection = 'unbiased' | 'biased';

/** `tf.layers.batchNormalization`'s arguments plus the moving-variance correction. */
export interface BatchNormalizationArgs extends StockLayerArgs {
  /**
   * 'unbiased' (default; Keras 2 / tf.keras): the moving variance moves towards the batch variance times n / (n - 1),
   * n the elements per channel in the batch. 'biased': towards the batch variance itself, as tfjs-layers does.
   */
  movingVarianceCorrection?: MovingVarianceCorrection;
}

type LayerArgs = StockLayerArgs;
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
  /** How the moving variance is updated in training (default 'unbiased', as Keras 2). */
  readonly movingVarianceCorrection: MovingVarianceCorrection;

  constructor(args?: BatchNormalizationArgs) {
    super(args);
    const correction = args?.movingVarianceCorrection ?? 'unbiased';
    if (correction !== 'unbiased' && correction !== 'biased') {
      throw new Error(
        `BatchNormalization: movingVarianceCorrection must be 'unbiased' or 'biased', got ${JSON.stringify(correction)}`,
      );
    }
    this.movingVarianceCorrection = correction;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    const state = this as unknown as BatchNormState;
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const training = Boolean(kwargs?.training);
    if (!training || (Array.isArray(inputs) && inputs.length !== 1)) return super.call(inputs, kwargs);
    const lastAxis = state.axis === -1 || state.axis === x.rank - 1;
    const lean = lastAxis && state.gamma != null && state.beta != null;
    if (!lean && this.movingVarianceCorrection === 'biased') return super.call(inputs, kwargs);
    return tf.tidy(() => {
      let y: tf.Tensor;
      let mean: tf.Tensor;
      let variance: tf.Tensor;
      if (lean) {
        ({ y, mean, variance } = batchNormTraining(
          x,
          state.gamma!.read() as tf.Tensor1D,
          state.beta!.read() as tf.Tensor1D,
          state.epsilon,
        ));
      } else {
        // tfjs-layers' own computation (normalizeBatchInTraining) for any axis and without gamma / beta.
        const axis = state.axis >= 0 ? state.axis : state.axis + x.rank;
        const reduction = Array.from({ length: x.rank }, (_, i) => i).filter((i) => i !== axis);
        const broadcast = x.shape.map((d, i) => (i === axis ? d : 1));
        const moments = tf.moments(x, reduction, true);
        y = tf.batchNorm(
          x,
          moments.mean,
          moments.variance,
          state.beta == null ? undefined : tf.reshape(state.beta.read(), broadcast),
          state.gamma == null ? undefined : tf.reshape(state.gamma.read(), broadcast),
          state.epsilon,
        );
        mean = tf.reshape(moments.mean, [x.shape[axis]]);
        variance = tf.reshape(moments.variance, [x.shape[axis]]);
      }
      const channels = mean.size;
      const n = x.size / channels;
      // Keras 2's unbiased moving variance (Bessel's correction, n / (n - 1), guarded at n = 1 as TF's fused kernel).
      const target = this.movingVarianceCorrection === 'unbiased' && n > 1 ? tf.mul(variance, n / (n - 1)) : variance;
      // tfjs-layers' moving-average update (normalization.ts, doMovingAverage): v -= (v - batch) * (1 - momentum).
      for (const [variable, batch] of [
        [state.movingMean, mean],
        [state.movingVariance, target],
      ] as const) {
        tf.tidy(() => {
          const current = variable.read();
          variable.write(tf.sub(current, tf.mul(tf.sub(current, batch), 1 - state.momentum)));
        });
      }
      // batchNormTraining's statistics are kept outside the tidy: free them (harmless for tidy-tracked ones).
      tf.dispose([mean, variance]);
      return y;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    const config = super.getConfig();
    // Written only when it differs from Keras 2 (see the file comment: Keras 2 rejects unknown keys, tfjs ignores them).
    if (this.movingVarianceCorrection === 'biased') config['movingVarianceCorrection'] = 'biased';
    return config;
  }
}

/** `tf.layers.batchNormalization` with {@link BatchNormalization}'s lean training step and Keras 2's moving variance. */
export function batchNormalization(args?: BatchNormalizationArgs): BatchNormalization {
  return new BatchNormalization(args);
}
