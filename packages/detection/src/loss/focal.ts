import * as tf from '@tensorflow/tfjs-core';

/** Focal loss weight of the positive class (Lin et al. 2017, sec. 3.2 and 5.1: alpha = 0.25). */
export const FOCAL_ALPHA = 0.25;
/** Focal loss focusing parameter (Lin et al. 2017, sec. 3.2: gamma = 2). */
export const FOCAL_GAMMA = 2;

/**
 * Sigmoid focal loss (Lin et al. 2017, eq. 5, alpha-balanced): `-alpha_t (1 - p_t)^gamma log(p_t)` with
 * p = sigmoid(logit), p_t = p where the target is 1 and 1 - p otherwise, alpha_t likewise alpha / 1 - alpha; summed
 * over the class axis (the last), as keras-io's `RetinaNetClassificationLoss`. `log(p_t)` is computed as the
 * numerically stable sigmoid cross-entropy with logits, max(x, 0) - x z + log(1 + exp(-|x|)). Everything is
 * arithmetic on the targets, so the gradient flows to the logits without `tf.where`.
 *
 * @param targets one-hot targets (0 / 1), same shape as `logits`
 * @returns the loss with the last axis summed away
 */
export function sigmoidFocalLoss(targets: tf.Tensor, logits: tf.Tensor, alpha = FOCAL_ALPHA, gamma = FOCAL_GAMMA): tf.Tensor {
  return tf.tidy(() => {
    const z = tf.cast(targets, 'float32');
    const ce = tf.add(tf.sub(tf.relu(logits), tf.mul(logits, z)), tf.log1p(tf.exp(tf.neg(tf.abs(logits)))));
    const p = tf.sigmoid(logits);
    // p_t = z p + (1 - z)(1 - p); 1 - p_t = p + z (1 - 2p).
    const oneMinusPt = tf.add(p, tf.mul(z, tf.sub(1, tf.mul(p, 2))));
    const alphaT = tf.add(tf.mul(z, 2 * alpha - 1), 1 - alpha);
    const modulator = gamma === 2 ? tf.square(oneMinusPt) : tf.pow(oneMinusPt, gamma);
    return tf.sum(tf.mul(tf.mul(alphaT, modulator), ce), -1);
  });
}
