import * as tfl from '@tensorflow/tfjs-layers';
import { MASK_STREAM, SeedSequence, WEIGHT_STREAM } from '../init/seeds.js';
import { applyRegularizer } from '../regularizer/layer.js';
import { apply, type BuildContext as Ctx } from './context.js';
import { checkPositiveIntegers, resolveOptions, type NetworkOptions } from './options.js';
import { assertPositiveInteger, describeValue } from '@db/core';
import { batchNormalization } from '../layers/batch-normalization.js';
import { assertKnownOptions } from '@db/core';
import { DENSENET_OPTION_KEYS } from '../option-keys.js';

/** Options of {@link densenet}. */
export interface DenseNetOptions extends NetworkOptions {
  /** Dense layers per dense block. Default `[6, 12, 24, 16]` (DenseNet-121). */
  blocks?: readonly number[];
  /** Growth rate k: channels each dense layer adds. Default 32, as the report's summary (Conv 3x3 with 32 filters). */
  growthRate?: number;
  /** Transition compression theta (DenseNet-BC): a transition keeps floor(theta x channels). Default 0.5. */
  compression?: number;
  /** Filters of the stem convolution. Default 64, as the report's summary (8x8x64 after the stem at 32x32). */
  stemFilters?: number;
}

/** DenseNet-121's dense layers per block. */
export const DENSENET121_BLOCKS: readonly number[] = [6, 12, 24, 16];

function conv(ctx: Ctx, x: tfl.SymbolicTensor, filters: number, kernelSize: number, name: string, strides = 1) {
  return apply(
    tfl.layers.conv2d({
      filters,
      kernelSize,
      strides,
      padding: 'same',
      kernelInitializer: ctx.seeds.glorotUniform(),
      biasInitializer: 'zeros',
      name,
    }),
    x,
  );
}

function bnRelu(x: tfl.SymbolicTensor, name: string, suffix: string): tfl.SymbolicTensor {
  const y = apply(batchNormalization({ axis: 3, name: `${name}_bn${suffix}` }), x);
  return apply(tfl.layers.reLU({ name: `${name}_relu${suffix}` }), y);
}

/**
 * One dense layer (Huang et al., 2017, DenseNet-B "bottleneck" layer) in the report's order: BN, ReLU, regulariser,
 * Conv 1x1 (4k filters), BN, ReLU, regulariser, Conv 3x3 (k filters), then concatenate [input, new features]. The
 * regulariser sits right after each ReLU ("at the end of each Conv - Batch - Activation block"), 2 per dense layer.
 */
function denseLayer(ctx: Ctx, x: tfl.SymbolicTensor, growthRate: number, name: string): tfl.SymbolicTensor {
  let y = bnRelu(x, name, '1');
  y = applyRegularizer(y, ctx.regularizer, `${name}_drop1`, ctx.maskSeeds);
  y = conv(ctx, y, 4 * growthRate, 1, `${name}_conv1`);
  y = bnRelu(y, name, '2');
  y = applyRegularizer(y, ctx.regularizer, `${name}_drop2`, ctx.maskSeeds);
  y = conv(ctx, y, growthRate, 3, `${name}_conv2`);
  // [input, new] as the report's summary lists the concatenate's inputs (max_pooling2d, then conv2d_2).
  return apply(tfl.layers.concatenate({ axis: 3, name: `${name}_concat` }), [x, y]);
}

/**
 * A transition layer between dense blocks: BN, ReLU, Conv 1x1 to floor(compression x channels), AvgPool 2x2 stride 2
 * (same padding, so odd maps such as MNIST's 7x7 round up). No regulariser: the report places it in the dense layers.
 */
function transition(ctx: Ctx, x: tfl.SymbolicTensor, compression: number, name: string): tfl.SymbolicTensor {
  const channels = x.shape[3] as number;
  let y = bnRelu(x, name, '');
  y = conv(ctx, y, Math.max(1, Math.floor(channels * compression)), 1, `${name}_conv`);
  return apply(tfl.layers.averagePooling2d({ poolSize: 2, strides: 2, padding: 'same', name: `${name}_pool` }), y);
}

/**
 * The report's DenseNet, laid out as its Keras summary shows it.
 *
 * Stem: Conv 7x7 stride 2 (64 filters, same padding) and MaxPool 3x3 stride 2 (same padding), taking a 32x32 input to
 * 8x8x64 (28x28 to 7x7x64). The summary fixes this: its first BatchNormalization and first ReLU read the max pool's
 * output, so the stem has one conv, no BN and no ReLU; this is also the widely copied Keras "DenseNet-121 from
 * scratch" layout the report's names (`conv2d`, `re_lu`, `concatenate`) point to. Then dense blocks of dense layers
 * (see the dense layer's order above; growth 32, bottleneck 4 x 32 = 128), transition layers with compression 0.5
 * between blocks (not after the last), GlobalAveragePooling and Dense(numClasses, softmax). Like that layout, there
 * is no BN + ReLU before the pooling, unlike Keras' `DenseNet121`.
 *
 * Small inputs: with the default four blocks a 32x32 input gives 8, 4, 2 and 1 pixel wide maps (28x28: 7, 4, 2, 1);
 * DropBlock clips its block to the map, so DropBlock(7) on those maps drops whole channels.
 *
 * @example
 * ```ts
 * const tiny = densenet({
 *   inputShape: [28, 28, 1],
 *   numClasses: 10,
 *   blocks: [2, 2],
 *   regularizer: regularizer.spatialDropout(0.3),
 * });
 * ```
 */
export function densenet(options: DenseNetOptions): tfl.LayersModel {
  assertKnownOptions(options, DENSENET_OPTION_KEYS, 'densenet options');
  const { inputShape, numClasses, regularizer, seed } = resolveOptions(options);
  const blocks = checkPositiveIntegers(options.blocks ?? DENSENET121_BLOCKS, 'blocks');
  const growthRate = options.growthRate ?? 32;
  assertPositiveInteger(growthRate, 'growthRate');
  const compression = options.compression ?? 0.5;
  if (typeof compression !== 'number') {
    throw new TypeError(`compression must be a number in (0, 1], got ${describeValue(compression)}`);
  }
  if (!Number.isFinite(compression) || compression <= 0 || compression > 1) {
    throw new RangeError(`compression must be a number in (0, 1], got ${describeValue(compression)}`);
  }
  const stemFilters = options.stemFilters ?? 64;
  assertPositiveInteger(stemFilters, 'stemFilters');

  const ctx: Ctx = {
    seeds: new SeedSequence(seed, WEIGHT_STREAM),
    maskSeeds: new SeedSequence(seed, MASK_STREAM),
    regularizer,
  };
  const input = tfl.input({ shape: inputShape, name: 'input' });
  let x = conv(ctx, input, stemFilters, 7, 'conv1', 2);
  x = apply(tfl.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same', name: 'pool1' }), x);
  blocks.forEach((layers, b) => {
    for (let l = 1; l <= layers; l++) {
      x = denseLayer(ctx, x, growthRate, `block${b + 1}_layer${l}`);
    }
    if (b < blocks.length - 1) {
      x = transition(ctx, x, compression, `transition${b + 1}`);
    }
  });
  x = apply(tfl.layers.globalAveragePooling2d({ name: 'avg_pool' }), x);
  x = apply(
    tfl.layers.dense({
      units: numClasses,
      activation: 'softmax',
      kernelInitializer: ctx.seeds.glorotUniform(),
      biasInitializer: 'zeros',
      name: 'predictions',
    }),
    x,
  );
  return tfl.model({ inputs: input, outputs: x, name: 'densenet' });
}
