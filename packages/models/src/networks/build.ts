import type * as tfl from '@tensorflow/tfjs-layers';
import type { NetworkName } from '../regularizer/variants.js';
import { customNet } from './custom-net.js';
import { densenet, type DenseNetOptions } from './densenet.js';
import { resnet50, type ResNetOptions } from './resnet50.js';
import type { NetworkOptions } from './options.js';
import { describeValue } from '@db/core';
import { assertKnownOptions } from '@db/core';
import { ANY_NETWORK_OPTION_KEYS } from '../option-keys.js';

/** Options of {@link buildNetwork}: the shared ones plus those of ResNet-50 and DenseNet (ignored by the others). */
export type AnyNetworkOptions = NetworkOptions &
  Pick<ResNetOptions, 'stem' | 'stageBlocks'> &
  Pick<DenseNetOptions, 'blocks' | 'growthRate' | 'compression' | 'stemFilters'>;

/**
 * Builds one of the report's networks by name, e.g. to loop over `NETWORK_NAMES` x `reportVariants(name)`.
 * Network-specific options are passed on only to the network that has them.
 */
export function buildNetwork(network: NetworkName, options: AnyNetworkOptions): tfl.LayersModel {
  assertKnownOptions(options, ANY_NETWORK_OPTION_KEYS, 'buildNetwork options');
  const { inputShape, numClasses, regularizer, seed } = options;
  switch (network) {
    case 'customNet':
      return customNet({ inputShape, numClasses, regularizer, seed });
    case 'resnet50':
      return resnet50({
        inputShape,
        numClasses,
        regularizer,
        seed,
        stem: options.stem,
        stageBlocks: options.stageBlocks,
      });
    case 'densenet':
      return densenet({
        inputShape,
        numClasses,
        regularizer,
        seed,
        blocks: options.blocks,
        growthRate: options.growthRate,
        compression: options.compression,
        stemFilters: options.stemFilters,
      });
    default:
      throw new TypeError(`network must be 'customNet', 'resnet50' or 'densenet', got ${describeValue(network)}`);
  }
}
