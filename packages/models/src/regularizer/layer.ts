import * as tfl from '@tensorflow/tfjs-layers';
import { dropBlock2D, spatialDropout2D } from '@db/tfjs-layer';
import type { SeedSequence } from '../init/seeds.js';
import type { RegularizerSpec } from './spec.js';

/**
 * Builds the layer `spec` stands for, or `null` for `none`.
 *
 * Dropout gets no seed on purpose: tfjs-core's `dropout` re-seeds its generator from the seed on every call, so a
 * seeded `tf.layers.dropout` would drop the very same units at every training step (a fixed pruning, not Dropout).
 * SpatialDropout2D and DropBlock2D from `@db/tfjs-layer` take a seed and advance their stream per call, so they get a
 * derived one and the whole network stays reproducible.
 */
export function regularizerLayer(
  spec: RegularizerSpec,
  name: string,
  seeds: SeedSequence,
): tfl.layers.Layer | null {
  switch (spec.kind) {
    case 'none':
      return null;
    case 'dropout':
      return tfl.layers.dropout({ rate: spec.rate, name });
    case 'spatialDropout':
      return spatialDropout2D({ rate: spec.rate, seed: seeds.next(), name });
    case 'dropBlock':
      return dropBlock2D({
        blockSize: spec.blockSize,
        keepProb: spec.keepProb,
        seed: seeds.next(),
        dataFormat: 'channelsLast',
        name,
      });
  }
}

/** Applies the regulariser `spec` to `x` (a symbolic tensor of a functional model); `none` returns `x` itself. */
export function applyRegularizer(
  x: tfl.SymbolicTensor,
  spec: RegularizerSpec,
  name: string,
  seeds: SeedSequence,
): tfl.SymbolicTensor {
  const layer = regularizerLayer(spec, name, seeds);
  return layer === null ? x : (layer.apply(x) as tfl.SymbolicTensor);
}
