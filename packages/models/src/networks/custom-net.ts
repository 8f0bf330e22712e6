import * as tfl from '@tensorflow/tfjs-layers';
import { MASK_STREAM, SeedSequence, WEIGHT_STREAM } from '../init/seeds.js';
import { applyRegularizer } from '../regularizer/layer.js';
import { resolveOptions, type NetworkOptions } from './options.js';
import { batchNormalization } from '../layers/batch-normalization.js';
import { assertKnownOptions } from '@db/core';
import { NETWORK_OPTION_KEYS } from '../option-keys.js';

/** Filters of CustomNet's three stages, as the report's summary shows them. */
export const CUSTOM_NET_FILTERS: readonly number[] = [32, 64, 128];

/**
 * The report's CustomNet, a plain CNN without skip connections.
 *
 * Three stages of [Conv 3x3 same + ReLU + BatchNorm] x 2 followed by MaxPool 2x2 and then the regulariser ("the best
 * position", the report says), with 32, 64 and 128 filters; then Flatten and Dense(numClasses, softmax). The layer
 * order Conv, ReLU, BatchNorm is the report's (its summary lists activation before batch_normalization).
 *
 * At 32x32x3 it has 309,290 parameters (the report's summary says 309,962 because its DropBlock layers carried 672
 * weights of their own; a regulariser here carries none, so every form has the same count). At 28x28x1 the pools give
 * 14, 7 and 3 (the last pool floors 7/2), so Flatten yields 3x3x128.
 *
 * @example
 * ```ts
 * const model = customNet({ inputShape: [32, 32, 3], numClasses: 10, regularizer: regularizer.dropBlock(3, 0.9) });
 * ```
 */
export function customNet(options: NetworkOptions): tfl.LayersModel {
  assertKnownOptions(options, NETWORK_OPTION_KEYS, 'customNet options');
  const { inputShape, numClasses, regularizer, seed } = resolveOptions(options);
  const seeds = new SeedSequence(seed, WEIGHT_STREAM);
  const maskSeeds = new SeedSequence(seed, MASK_STREAM);
  const input = tfl.input({ shape: inputShape, name: 'input' });
  let x: tfl.SymbolicTensor = input;
  CUSTOM_NET_FILTERS.forEach((filters, s) => {
    const stage = s + 1;
    for (let i = 1; i <= 2; i++) {
      x = tfl.layers
        .conv2d({
          filters,
          kernelSize: 3,
          padding: 'same',
          kernelInitializer: seeds.glorotUniform(),
          biasInitializer: 'zeros',
          name: `conv${stage}_${i}`,
        })
        .apply(x) as tfl.SymbolicTensor;
      x = tfl.layers.activation({ activation: 'relu', name: `relu${stage}_${i}` }).apply(x) as tfl.SymbolicTensor;
      x = batchNormalization({ axis: -1, name: `bn${stage}_${i}` }).apply(x) as tfl.SymbolicTensor;
    }
    x = tfl.layers.maxPooling2d({ poolSize: 2, strides: 2, name: `pool${stage}` }).apply(x) as tfl.SymbolicTensor;
    x = applyRegularizer(x, regularizer, `drop${stage}`, maskSeeds);
  });
  x = tfl.layers.flatten({ name: 'flatten' }).apply(x) as tfl.SymbolicTensor;
  const output = tfl.layers
    .dense({
      units: numClasses,
      activation: 'softmax',
      kernelInitializer: seeds.glorotUniform(),
      biasInitializer: 'zeros',
      name: 'predictions',
    })
    .apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: output, name: 'custom_net' });
}
