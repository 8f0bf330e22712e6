import type { DataType } from '@tensorflow/tfjs-core';
import type { Shape } from '@tensorflow/tfjs-layers';
import { optionKeys, type DataFormat } from '@db/core';

/**
 * The base-layer arguments every TF.js layer accepts (a copy of tfjs-layers' `LayerArgs` fields, which that
 * package does not export from its entry point).
 *
 * @group Layers
 */
export interface BaseLayerArgs {
  /** Input shape without the batch axis, for a layer used as a model's first layer. */
  inputShape?: Shape;
  /** Input shape with the batch axis. */
  batchInputShape?: Shape;
  /** Batch size, with `inputShape`. */
  batchSize?: number;
  /** Data type of the layer's computations (float32). */
  dtype?: DataType;
  /** Name of the layer, unique in a model. */
  name?: string;
  /** Whether the layer's weights are updated by training (DropBlock has none). */
  trainable?: boolean;
}

/**
 * The keys of tfjs-layers' `LayerArgs` (engine/topology.ts), which every layer forwards to `tf.layers.Layer`: a
 * layer's own args may hold these besides its own options.
 */
export const LAYER_ARGS_KEYS: readonly string[] = [
  ...optionKeys<BaseLayerArgs>()(['inputShape', 'batchInputShape', 'batchSize', 'dtype', 'name', 'trainable']),
  // LayerArgs fields BaseLayerArgs does not document (initial weights; the input dtype of an InputLayer).
  'weights',
  'inputDType',
];

/**
 * Arguments of {@link DropBlock2D} and {@link DropBlock3D}.
 *
 * @group Layers
 */
export interface DropBlockLayerArgs extends BaseLayerArgs {
  /** Side of the square (2D) or cubic (3D) block, a positive integer; clipped to the feature map. */
  blockSize: number;
  /**
   * Probability that a unit is kept, in (0, 1]. Default 0.9, the paper's best ResNet-50 setting
   * (Ghiasi et al. 2018, Sec. 4.1, with blockSize 7). Settable later, e.g. by a schedule.
   */
  keepProb?: number;
  /** Base seed: a seeded layer is reproducible yet draws a different mask at each training call. */
  seed?: number;
  /** `'channelsLast'` (default) or `'channelsFirst'`. */
  dataFormat?: DataFormat;
  /** One mask per sample shared by all channels (default false). */
  sharedChannels?: boolean;
  /** One mask for the whole batch (default false). */
  batchwise?: boolean;
}

/** Every key {@link DropBlockLayerArgs} may hold (its own options and {@link LAYER_ARGS_KEYS}). */
export const DROP_BLOCK_LAYER_ARG_KEYS: readonly string[] = [
  ...optionKeys<Omit<DropBlockLayerArgs, keyof BaseLayerArgs>>()(['blockSize', 'keepProb', 'seed', 'dataFormat', 'sharedChannels', 'batchwise']),
  ...LAYER_ARGS_KEYS,
];

/**
 * Arguments of {@link SpatialDropout2D}.
 *
 * @group Layers
 */
export interface SpatialDropout2DArgs extends BaseLayerArgs {
  /** Fraction of channels (whole feature maps) to drop, in [0, 1). */
  rate: number;
  /** Base seed, advanced per training call like the DropBlock layers'. */
  seed?: number;
  /** `'channelsLast'` (default) or `'channelsFirst'`. */
  dataFormat?: DataFormat;
}

/** Every key {@link SpatialDropout2DArgs} may hold. */
export const SPATIAL_DROPOUT_2D_ARG_KEYS: readonly string[] = [
  ...optionKeys<Omit<SpatialDropout2DArgs, keyof BaseLayerArgs>>()(['rate', 'seed', 'dataFormat']),
  ...LAYER_ARGS_KEYS,
];

/**
 * The default keepProb of the DropBlock layers.
 *
 * @group Layers
 */
export const DEFAULT_KEEP_PROB = 0.9;
