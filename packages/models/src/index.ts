/**
 * @packageDocumentation
 * The DropBlock report's networks for TensorFlow.js: CustomNet, ResNet-50 (and its C3..C5 backbone for RetinaNet)
 * and DenseNet, each built with none, Dropout, SpatialDropout or DropBlock as a parameter; Keras HDF5 weights
 * (ImageNet ResNet-50) loaded into them by layer name.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { customNet, regularizer, reportVariants } from '@db/models';
 *
 * const model = customNet({ inputShape: [32, 32, 3], numClasses: 10, regularizer: regularizer.dropBlock(3, 0.9), seed: 1 });
 * console.log(model.countParams()); // 309290
 * console.log((model.predict(tf.zeros([1, 32, 32, 3])) as tf.Tensor).shape); // [1, 10]
 *
 * // The study's five forms of a network, as data.
 * console.log(reportVariants('customNet').map((v) => v.label));
 * ```
 */
export {
  regularizer,
  validateRegularizer,
  describeRegularizer,
  type RegularizerSpec,
  type RegularizerKind,
  type NoRegularizer,
  type DropoutRegularizer,
  type SpatialDropoutRegularizer,
  type DropBlockRegularizer,
} from './regularizer/spec.js';
export {
  reportVariants,
  networkLabel,
  NETWORK_NAMES,
  type NetworkName,
  type ReportVariant,
  type VariantKey,
} from './regularizer/variants.js';
export { regularizerLayer } from './regularizer/layer.js';
export { SeedSequence } from './init/seeds.js';
export type { NetworkOptions } from './networks/options.js';
export { customNet, CUSTOM_NET_FILTERS } from './networks/custom-net.js';
export {
  resnet50,
  resnet50Backbone,
  RESNET50_STAGE_BLOCKS,
  RESNET_BACKBONE_STRIDES,
  type ResNetOptions,
  type ResNetBackboneOptions,
  type ResNetStem,
} from './networks/resnet50.js';
export { densenet, DENSENET121_BLOCKS, type DenseNetOptions } from './networks/densenet.js';
export { buildNetwork, type AnyNetworkOptions } from './networks/build.js';
export { BatchNormalization, batchNormalization, batchNormTraining } from './layers/batch-normalization.js';
export {
  recalibrateBatchNorm,
  withRecalibratedBatchNorm,
  type RecalibrateBatchNormOptions,
  type RecalibrateBatchNormReport,
} from './batchnorm/recalibrate.js';
export { loadKerasWeights, type LoadKerasWeightsOptions, type KerasWeightsReport } from './weights/keras-h5.js';
export { KERAS_RESNET50_NOTOP_WEIGHTS } from './weights/keras-resnet50.js';
