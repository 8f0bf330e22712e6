/**
 * `@db/tfjs-layer`: DropBlock (Ghiasi, Lin, Le, NeurIPS 2018) for TensorFlow.js on any backend.
 *
 * - Ops: {@link dropBlock2d}, {@link dropBlock3d}.
 * - Layers: {@link DropBlock2D} / {@link dropBlock2D}, {@link DropBlock3D} / {@link dropBlock3D},
 *   {@link SpatialDropout2D} / {@link spatialDropout2D}, and {@link isDropBlockLayer}.
 *
 * Importing the package registers the layer classes for serialisation.
 *
 * @packageDocumentation
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { dropBlock2D, dropBlock2d } from '@db/tfjs-layer';
 *
 * // The op: drops 3x3 blocks of each map and rescales what is kept.
 * const x = tf.ones([2, 16, 16, 4]) as tf.Tensor4D;
 * const y = dropBlock2d(x, { keepProb: 0.9, blockSize: 3, seed: 1 });
 * console.log(tf.sum(y).dataSync()[0]); // about 2048, the sum of x
 *
 * // The layer: active in training (fit, or apply with training: true), identity at inference.
 * const model = tf.sequential({
 *   layers: [
 *     tf.layers.conv2d({ inputShape: [16, 16, 3], filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' }),
 *     dropBlock2D({ blockSize: 3, keepProb: 0.9 }),
 *     tf.layers.flatten(),
 *     tf.layers.dense({ units: 10, activation: 'softmax' }),
 *   ],
 * });
 * console.log((model.predict(tf.ones([1, 16, 16, 3])) as tf.Tensor).shape); // [1, 10]
 * ```
 */
import './layers/register.js';

export { dropBlock2d } from './op/drop-block2d.js';
export { dropBlock3d } from './op/drop-block3d.js';
export type { DropBlockOpOptions } from './op/validate.js';
export {
  DropBlockLayerBase,
  DropBlock2D,
  DropBlock3D,
  dropBlock2D,
  dropBlock3D,
  isDropBlockLayer,
} from './layers/drop-block-layer.js';
export { SpatialDropout2D, spatialDropout2D } from './layers/spatial-dropout2d.js';
export { DEFAULT_KEEP_PROB } from './layers/args.js';
export type { BaseLayerArgs, DropBlockLayerArgs, SpatialDropout2DArgs } from './layers/args.js';
export type { DataFormat } from '@db/core';
