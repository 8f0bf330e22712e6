/**
 * The option names of every public options object of @db/detection, for `assertKnownOptions` (@db/core): a key not
 * listed is an error naming the nearest valid one. `optionKeys` makes the compiler check each list against its
 * type, so an option added to a type must be added here too (the type error names it).
 */
import { optionKeys } from '@db/core';
import type { DecodeOptions } from './decode/decode.js';
import type { MatchThresholds } from './encode/encode.js';
import type { CocoEvalOptions } from './eval/types.js';
import type { FpnOptions } from './model/fpn.js';
import type { RetinaNetOptions } from './model/retinanet.js';
import type { PredictCocoOptions } from './train/predict.js';
import type { trainRetinaNet, validationLoss } from './train/train.js';

export { assertKnownOptions } from '@db/core';

export const RETINANET_OPTION_KEYS = optionKeys<RetinaNetOptions>()(['inputSize', 'numClasses', 'regularizer', 'regularizeFpn', 'seed', 'stageBlocks', 'batchNormEpsilon']);
export const FPN_OPTION_KEYS = optionKeys<FpnOptions>()(['seeds', 'maskSeeds', 'regularizer']);
export const DECODE_OPTION_KEYS = optionKeys<DecodeOptions>()(['scoreThreshold', 'iouThreshold', 'maxPerClass', 'maxDetections']);
export const MATCH_THRESHOLD_KEYS = optionKeys<MatchThresholds>()(['positive', 'negative', 'allowLowQualityMatches']);
export const COCO_EVAL_OPTION_KEYS = optionKeys<CocoEvalOptions>()(['imgIds', 'catIds', 'useCats', 'maxDets', 'iouThrs']);
export const PREDICT_COCO_OPTION_KEYS = optionKeys<PredictCocoOptions>()(['batchSize', 'decode', 'decoder', 'signal']);
export const VALIDATION_LOSS_OPTION_KEYS = optionKeys<NonNullable<Parameters<typeof validationLoss>[2]>>()(['batchSize', 'decoder', 'signal', 'allowLowQualityMatches']);
export const TRAIN_OPTION_KEYS = optionKeys<Parameters<typeof trainRetinaNet>[0]>()([
  'dataDir',
  'inputSize',
  'regularizer',
  'regularizeFpn',
  'epochs',
  'batchSize',
  'trainImages',
  'valImages',
  'seed',
  'learningRate',
  'keepProbRampSteps',
  'optimizer',
  'backboneWeights',
  'preciseBatchNorm',
  'cacheDir',
  'allowLowQualityMatches',
  'augment',
  'stageBlocks',
  'onEpochEnd',
  'onBatchEnd',
  'signal',
  'verbose',
  'decoder',
  'decode',
  'predictVal',
]);
