import * as tf from '@tensorflow/tfjs-core';
import { sigmoidFocalLoss } from './focal.js';

/** Smooth L1's switch point (Fast R-CNN; keras-io `RetinaNetBoxLoss(delta=1.0)`). */
export const SMOOTH_L1_DELTA = 1;

/** The two parts of the RetinaNet loss, each averaged over the batch. */
export interface RetinaNetLossParts {
  /** Focal loss, per image normalised by max(1, its positive anchors), averaged over the batch. */
  classification: tf.Scalar;
  /** Smooth L1 on positive anchors, same normalisation. */
  box: tf.Scalar;
  /** classification + box: keras-io's `RetinaNetLoss`, the number its `loss` / `val_loss` show. */
  total: tf.Scalar;
}

/**
 * Smooth L1 (Huber with delta 1, `tf.losses.huberLoss`) between box targets and predictions, summed over the 4
 * coordinates: `[..., 4]` to `[...]`.
 */
export function smoothL1(targets: tf.Tensor, predictions: tf.Tensor, delta = SMOOTH_L1_DELTA): tf.Tensor {
  return tf.tidy(() => tf.sum(tf.losses.huberLoss(targets, predictions, undefined, delta, tf.Reduction.NONE), -1));
}

/**
 * keras-io's `RetinaNetLoss`: per image, the focal loss summed over classes and over every non-ignored anchor,
 * plus the smooth L1 loss summed over the positive anchors, each divided by max(1, the image's positive anchors)
 * (Lin et al. 2017, sec. 3.3 "normalized by the number of anchors assigned to a ground-truth box"; the max with 1
 * is Detectron2's and torchvision's, where keras-io's `divide_no_nan` made an image without positives contribute
 * 0); then the mean over the batch.
 *
 * The masks come from the targets only and multiply the per-anchor losses (no `tf.where`), so gradients reach the
 * predictions.
 *
 * @param predictions `[batch, anchors, 4 + classes]` model output (box regression, then class logits)
 * @param boxTargets `[batch, anchors, 4]` regression targets
 * @param classTargets `[batch, anchors]` label, -1 (background) or -2 (ignored)
 */
export function retinaNetLoss(predictions: tf.Tensor3D, boxTargets: tf.Tensor3D, classTargets: tf.Tensor2D): RetinaNetLossParts {
  return tf.tidy(() => {
    const [batch, anchors, width] = predictions.shape;
    const numClasses = width - 4;
    if (numClasses < 1) throw new RangeError(`predictions must have 4 + classes channels, got ${width}`);
    if (boxTargets.shape[0] !== batch || boxTargets.shape[1] !== anchors || boxTargets.shape[2] !== 4) {
      throw new RangeError(`boxTargets must be [${batch}, ${anchors}, 4], got [${boxTargets.shape.join(', ')}]`);
    }
    if (classTargets.shape[0] !== batch || classTargets.shape[1] !== anchors) {
      throw new RangeError(`classTargets must be [${batch}, ${anchors}], got [${classTargets.shape.join(', ')}]`);
    }
    const boxPred = tf.slice(predictions, [0, 0, 0], [batch, anchors, 4]);
    const logits = tf.slice(predictions, [0, 0, 4], [batch, anchors, numClasses]);
    const positive = tf.cast(tf.greater(classTargets, -1), 'float32');
    const notIgnored = tf.cast(tf.notEqual(classTargets, -2), 'float32');
    // One-hot of the labels by comparison with 0..C-1 (tf.oneHot wants depth >= 2): background (-1) and ignored
    // (-2) rows come out all zeros.
    const oneHot = tf.cast(tf.equal(tf.expandDims(classTargets, -1), tf.range(0, numClasses, 1, 'float32')), 'float32');
    const cls = tf.sum(tf.mul(sigmoidFocalLoss(oneHot, logits), notIgnored), -1);
    const box = tf.sum(tf.mul(smoothL1(boxTargets, boxPred), positive), -1);
    // Detectron2 / torchvision normalise by max(1, positives): an image without a positive anchor still learns
    // background from its focal loss (keras-io's divide_no_nan gave it 0, so it taught nothing).
    const safe = tf.maximum(tf.sum(positive, -1), 1);
    const classification = tf.mean(tf.div(cls, safe)) as tf.Scalar;
    const boxLoss = tf.mean(tf.div(box, safe)) as tf.Scalar;
    return { classification, box: boxLoss, total: tf.add(classification, boxLoss) as tf.Scalar };
  });
}
