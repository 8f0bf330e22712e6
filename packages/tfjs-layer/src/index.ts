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
