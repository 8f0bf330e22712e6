/**
 * The option names of every public options object of @db/models, for `assertKnownOptions` (@db/core): a key not
 * listed is an error naming the nearest valid one. `optionKeys` makes the compiler check each list against its
 * type, so an option added to a type must be added here too (the type error names it).
 */
import type { BatchNormalizationArgs } from './layers/batch-normalization.js';
import { optionKeys } from '@db/core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { AnyNetworkOptions } from './networks/build.js';
import type { DenseNetOptions } from './networks/densenet.js';
import type { NetworkOptions } from './networks/options.js';
import type { ResNetBackboneOptions, ResNetOptions } from './networks/resnet50.js';
import type { DropBlockRegularizer, DropoutRegularizer, NoRegularizer, SpatialDropoutRegularizer } from './regularizer/spec.js';
import type { LoadKerasWeightsOptions } from './weights/keras-h5.js';

export const NETWORK_OPTION_KEYS = optionKeys<NetworkOptions>()(['inputShape', 'numClasses', 'regularizer', 'seed']);
export const RESNET_OPTION_KEYS = optionKeys<ResNetOptions>()([
  'inputShape',
  'numClasses',
  'regularizer',
  'seed',
  'stem',
  'stageBlocks',
  'batchNormEpsilon',
]);
export const RESNET_BACKBONE_OPTION_KEYS = optionKeys<ResNetBackboneOptions>()([
  'inputShape',
  'regularizer',
  'seed',
  'stem',
  'stageBlocks',
  'batchNormEpsilon',
]);
export const DENSENET_OPTION_KEYS = optionKeys<DenseNetOptions>()([
  'inputShape',
  'numClasses',
  'regularizer',
  'seed',
  'blocks',
  'growthRate',
  'compression',
  'stemFilters',
]);
export const ANY_NETWORK_OPTION_KEYS = optionKeys<AnyNetworkOptions>()([
  'inputShape',
  'numClasses',
  'regularizer',
  'seed',
  'stem',
  'stageBlocks',
  'blocks',
  'growthRate',
  'compression',
  'stemFilters',
]);
export const LOAD_KERAS_WEIGHTS_OPTION_KEYS = optionKeys<LoadKerasWeightsOptions>()(['skipMismatch', 'strict']);

/** The fields of each regulariser kind. */
export const REGULARIZER_KEYS = {
  none: optionKeys<NoRegularizer>()(['kind']),
  dropout: optionKeys<DropoutRegularizer>()(['kind', 'rate']),
  spatialDropout: optionKeys<SpatialDropoutRegularizer>()(['kind', 'rate']),
  dropBlock: optionKeys<DropBlockRegularizer>()(['kind', 'blockSize', 'keepProb']),
} as const;

/** tfjs-layers' BatchNormalizationLayerArgs, its own options and LayerArgs. */
export const BATCH_NORMALIZATION_ARG_KEYS = optionKeys<BatchNormalizationArgs>()([
  'movingVarianceCorrection',
  'axis',
  'momentum',
  'epsilon',
  'center',
  'scale',
  'betaInitializer',
  'gammaInitializer',
  'movingMeanInitializer',
  'movingVarianceInitializer',
  'betaConstraint',
  'gammaConstraint',
  'betaRegularizer',
  'gammaRegularizer',
  'inputShape',
  'batchInputShape',
  'batchSize',
  'dtype',
  'name',
  'trainable',
  'weights',
  'inputDType',
]);
