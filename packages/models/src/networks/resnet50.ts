import * as tfl from '@tensorflow/tfjs-layers';
import { HEAD_STREAM, MASK_STREAM, SeedSequence, WEIGHT_STREAM } from '../init/seeds.js';
import { applyRegularizer } from '../regularizer/layer.js';
import type { RegularizerSpec } from '../regularizer/spec.js';
import { apply, type BuildContext as Ctx } from './context.js';
import { checkPositiveIntegers, resolveOptions, type NetworkOptions } from './options.js';
import { describeValue } from '@db/core';
import { batchNormalization } from '../layers/batch-normalization.js';
import { assertKnownOptions } from '@db/core';
import { RESNET_BACKBONE_OPTION_KEYS, RESNET_OPTION_KEYS } from '../option-keys.js';

/**
 * The stem of a ResNet:
 * - `'imagenet'`: Keras' ResNet50 stem, which the report used: ZeroPadding 3, Conv 7x7 stride 2, BN, ReLU,
 *   ZeroPadding 1, MaxPool 3x3 stride 2 (overall stride 4; a 32x32 input reaches stage 2 at 8x8).
 * - `'small'`: Conv 3x3 stride 1 (same padding), BN, ReLU and no pool, the usual CIFAR stem (overall stride 1; a
 *   32x32 input reaches stage 2 at 32x32, so compute is ~16x that of the ImageNet stem).
 */
export type ResNetStem = 'imagenet' | 'small';

/** Options of {@link resnet50} and {@link resnet50Backbone}. */
export interface ResNetOptions extends NetworkOptions {
  /** Stem, default `'imagenet'` (the report's and Keras' ResNet50). */
  stem?: ResNetStem;
  /**
   * Bottleneck blocks per stage (conv2_x .. conv5_x). Default `[3, 4, 6, 3]`, which is ResNet-50; smaller counts
   * give a shallower network of the same design (e.g. `[1, 1, 1, 1]` for quick CPU checks).
   */
  stageBlocks?: readonly [number, number, number, number];
  /**
   * Epsilon of every BatchNormalization. Default 1e-3 (Keras' and TF.js' default, which the report's code used).
   * Keras' `keras.applications.ResNet50`, whose ImageNet weights {@link loadKerasWeights} loads, uses 1.001e-5
   * ({@link KERAS_RESNET50_NOTOP_WEIGHTS}`.batchNormEpsilon`): pass that to compute exactly its features.
   */
  batchNormEpsilon?: number;
}

/** Options of {@link resnet50Backbone}: no classifier, so no `numClasses`. */
export type ResNetBackboneOptions = Omit<ResNetOptions, 'numClasses'>;

/** BatchNormalization's epsilon in Keras' and TF.js' `BatchNormalization` (the report's code kept it). */
const DEFAULT_BN_EPSILON = 1e-3;

/** ResNet-50's bottleneck blocks per stage. */
export const RESNET50_STAGE_BLOCKS: readonly [number, number, number, number] = [3, 4, 6, 3];

/** Filters [F1, F2, F3] of the bottleneck blocks of stages 2..5 (Keras ResNet50). */
const STAGE_FILTERS: ReadonlyArray<readonly [number, number, number]> = [
  [64, 64, 256],
  [128, 128, 512],
  [256, 256, 1024],
  [512, 512, 2048],
];

/**
 * Output stride of the C3, C4 and C5 feature maps with the ImageNet stem (Lin et al., "Focal Loss for Dense Object
 * Detection", 2017: RetinaNet's FPN is built on C3..C5 with strides 8, 16, 32). With the small stem each is 4x
 * smaller.
 */
export const RESNET_BACKBONE_STRIDES = { C3: 8, C4: 16, C5: 32 } as const;

/** The build context plus ResNet's BatchNorm epsilon. */
interface ResNetCtx extends Ctx {
  batchNormEpsilon: number;
}

function conv(
  ctx: Ctx,
  x: tfl.SymbolicTensor,
  filters: number,
  kernelSize: number,
  strides: number,
  padding: 'valid' | 'same',
  name: string,
): tfl.SymbolicTensor {
  return apply(
    tfl.layers.conv2d({
      filters,
      kernelSize,
      strides,
      padding,
      kernelInitializer: ctx.seeds.glorotUniform(),
      biasInitializer: 'zeros',
      name,
    }),
    x,
  );
}

function bn(ctx: ResNetCtx, x: tfl.SymbolicTensor, name: string): tfl.SymbolicTensor {
  return apply(batchNormalization({ axis: 3, epsilon: ctx.batchNormEpsilon, name }), x);
}

function relu(x: tfl.SymbolicTensor, name: string): tfl.SymbolicTensor {
  return apply(tfl.layers.activation({ activation: 'relu', name }), x);
}

function blockLetter(index: number): string {
  return index < 26 ? String.fromCharCode(97 + index) : `_${index}`;
}

/**
 * One bottleneck block, as the report's code writes it: Conv 1x1 (stride s) + BN + ReLU + regulariser, Conv fxf +
 * BN + ReLU + regulariser, Conv 1x1 + BN, then Add with the shortcut and ReLU. The regulariser sits after the ReLU of
 * the first and second components, never after the Add. The convolutional block (`projection`) carries a Conv 1x1
 * (stride s) + BN shortcut; the identity block adds its input. The stride sits on the first 1x1 conv, as in Keras'
 * ResNet50 (ResNet v1).
 */
function bottleneck(
  ctx: ResNetCtx,
  x: tfl.SymbolicTensor,
  filters: readonly [number, number, number],
  stride: number,
  projection: boolean,
  base: string,
  outName: string,
): tfl.SymbolicTensor {
  const [f1, f2, f3] = filters;
  let y = conv(ctx, x, f1, 1, stride, 'valid', `res${base}_branch2a`);
  y = bn(ctx, y, `bn${base}_branch2a`);
  y = relu(y, `res${base}_branch2a_relu`);
  y = applyRegularizer(y, ctx.regularizer, `res${base}_branch2a_drop`, ctx.maskSeeds);

  y = conv(ctx, y, f2, 3, 1, 'same', `res${base}_branch2b`);
  y = bn(ctx, y, `bn${base}_branch2b`);
  y = relu(y, `res${base}_branch2b_relu`);
  y = applyRegularizer(y, ctx.regularizer, `res${base}_branch2b_drop`, ctx.maskSeeds);

  y = conv(ctx, y, f3, 1, 1, 'valid', `res${base}_branch2c`);
  y = bn(ctx, y, `bn${base}_branch2c`);

  let shortcut = x;
  if (projection) {
    shortcut = conv(ctx, x, f3, 1, stride, 'valid', `res${base}_branch1`);
    shortcut = bn(ctx, shortcut, `bn${base}_branch1`);
  }
  const sum = apply(tfl.layers.add({ name: `res${base}_add` }), [y, shortcut]);
  return relu(sum, outName);
}

interface Trunk {
  input: tfl.SymbolicTensor;
  /** Outputs of stages 2..5 (C2..C5). */
  stages: tfl.SymbolicTensor[];
}

function resnetTrunk(
  inputShape: [number, number, number],
  regularizer: RegularizerSpec,
  seed: number,
  stem: ResNetStem,
  stageBlocks: number[],
  batchNormEpsilon: number,
): Trunk {
  const ctx: ResNetCtx = {
    seeds: new SeedSequence(seed, WEIGHT_STREAM),
    maskSeeds: new SeedSequence(seed, MASK_STREAM),
    regularizer,
    batchNormEpsilon,
  };
  const input = tfl.input({ shape: inputShape, name: 'input' });
  let x: tfl.SymbolicTensor;
  if (stem === 'imagenet') {
    x = apply(tfl.layers.zeroPadding2d({ padding: 3, name: 'conv1_pad' }), input);
    x = conv(ctx, x, 64, 7, 2, 'valid', 'conv1');
    x = bn(ctx, x, 'bn_conv1');
    x = relu(x, 'conv1_relu');
    x = apply(tfl.layers.zeroPadding2d({ padding: 1, name: 'pool1_pad' }), x);
    x = apply(tfl.layers.maxPooling2d({ poolSize: 3, strides: 2, name: 'pool1' }), x);
  } else if (stem === 'small') {
    x = conv(ctx, input, 64, 3, 1, 'same', 'conv1');
    x = bn(ctx, x, 'bn_conv1');
    x = relu(x, 'conv1_relu');
  } else {
    throw new TypeError(`stem must be 'imagenet' or 'small', got ${describeValue(stem)}`);
  }
  const stages: tfl.SymbolicTensor[] = [];
  stageBlocks.forEach((blocks, s) => {
    const stage = s + 2;
    // Stage 2 keeps the resolution (the stem's pool already halved it); stages 3..5 halve it in their first block.
    const stride = stage === 2 ? 1 : 2;
    for (let b = 0; b < blocks; b++) {
      const last = b === blocks - 1;
      x = bottleneck(
        ctx,
        x,
        STAGE_FILTERS[s],
        b === 0 ? stride : 1,
        b === 0,
        `${stage}${blockLetter(b)}`,
        last ? `C${stage}` : `res${stage}${blockLetter(b)}_relu`,
      );
    }
    stages.push(x);
  });
  return { input, stages };
}

function resolveResNet(options: ResNetOptions, requireClasses: boolean) {
  const resolved = resolveOptions(options, requireClasses);
  const stem = options.stem ?? 'imagenet';
  const stageBlocks = checkPositiveIntegers(options.stageBlocks ?? RESNET50_STAGE_BLOCKS, 'stageBlocks', 4);
  const batchNormEpsilon = options.batchNormEpsilon ?? DEFAULT_BN_EPSILON;
  if (typeof batchNormEpsilon !== 'number' || !(batchNormEpsilon > 0) || !Number.isFinite(batchNormEpsilon)) {
    throw new RangeError(`batchNormEpsilon must be a positive finite number, got ${String(batchNormEpsilon)}`);
  }
  return { ...resolved, stem, stageBlocks, batchNormEpsilon };
}

/**
 * ResNet-50 (He et al., 2016) as the report builds it, with the regulariser after the ReLU of the first and second
 * component of every bottleneck block (2 x 16 = 32 regulariser layers), then GlobalAveragePooling and
 * Dense(numClasses, softmax).
 *
 * With the ImageNet stem it has exactly the weights of Keras' `ResNet50(include_top=False)` (23,587,712 parameters
 * for 3 input channels, 6,272 fewer for 1) plus the classifier (2048 x numClasses + numClasses); the small stem has
 * 7,680 fewer at 3 channels. Every regularised form has exactly the plain one's parameters.
 *
 * 32x32 and 28x28 inputs work with either stem. With the ImageNet stem a 32x32 input leaves 8, 4, 2 and 1 pixel
 * wide maps in stages 2..5 (28x28: 7, 4, 2, 1); DropBlock clips its block to the map, so on a 1x1 or 2x2 map
 * DropBlock(7) drops whole channels, like SpatialDropout.
 *
 * @example
 * ```ts
 * const model = resnet50({
 *   inputShape: [32, 32, 3],
 *   numClasses: 10,
 *   regularizer: regularizer.dropBlock(3, 0.9),
 *   seed: 1,
 * });
 * ```
 */
export function resnet50(options: ResNetOptions): tfl.LayersModel {
  assertKnownOptions(options, RESNET_OPTION_KEYS, 'resnet50 options');
  const { inputShape, numClasses, regularizer, seed, stem, stageBlocks, batchNormEpsilon } = resolveResNet(
    options,
    true,
  );
  const trunk = resnetTrunk(inputShape, regularizer, seed, stem, stageBlocks, batchNormEpsilon);
  const seeds = new SeedSequence(seed, HEAD_STREAM);
  let x = apply(tfl.layers.globalAveragePooling2d({ name: 'avg_pool' }), trunk.stages[3]);
  x = apply(
    tfl.layers.dense({
      units: numClasses,
      activation: 'softmax',
      kernelInitializer: seeds.glorotUniform(),
      biasInitializer: 'zeros',
      name: 'predictions',
    }),
    x,
  );
  return tfl.model({ inputs: trunk.input, outputs: x, name: 'resnet50' });
}

/**
 * ResNet-50 without its classifier, exposing the C3, C4 and C5 feature maps (outputs of stages 3, 4 and 5; 512, 1024
 * and 2048 channels; strides 8, 16 and 32 with the ImageNet stem, see {@link RESNET_BACKBONE_STRIDES}) for a RetinaNet
 * FPN. The model's outputs are `[C3, C4, C5]`, in that order, and the layers producing them are named `C3`, `C4`,
 * `C5`. The regulariser is placed as in {@link resnet50}; the weights are identical to a `resnet50` built with the
 * same options and seed.
 *
 * @example
 * ```ts
 * // RetinaNet's backbone from Keras' ImageNet weights (the file of KERAS_RESNET50_NOTOP_WEIGHTS, already on disk),
 * // with Keras' BatchNorm epsilon so that it computes Keras' features; inputs preprocessed as Keras' ResNet50 expects.
 * const backbone = resnet50Backbone({
 *   inputShape: [512, 512, 3],
 *   regularizer: regularizer.dropBlock(7, 0.9),
 *   batchNormEpsilon: KERAS_RESNET50_NOTOP_WEIGHTS.batchNormEpsilon,
 * });
 * await loadKerasWeights(backbone, 'resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5');
 * ```
 */
export function resnet50Backbone(options: ResNetBackboneOptions): tfl.LayersModel {
  assertKnownOptions(options, RESNET_BACKBONE_OPTION_KEYS, 'resnet50Backbone options');
  const { inputShape, regularizer, seed, stem, stageBlocks, batchNormEpsilon } = resolveResNet(
    { ...options, numClasses: 0 } as ResNetOptions,
    false,
  );
  const trunk = resnetTrunk(inputShape, regularizer, seed, stem, stageBlocks, batchNormEpsilon);
  return tfl.model({ inputs: trunk.input, outputs: trunk.stages.slice(1), name: 'resnet50_backbone' });
}
